using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Registry;

/// <summary>A feature registry file could not be read or is invalid.</summary>
public sealed class FeatureRegistryException : ArtefactException
{
    public FeatureRegistryException(string subject, IReadOnlyList<ArtefactProblem> problems)
        : base(subject, problems)
    {
    }

    public FeatureRegistryException(string subject, IReadOnlyList<ArtefactProblem> problems, Exception? innerException)
        : base(subject, problems, innerException)
    {
    }
}
