using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Bundles;

/// <summary>A bundle mapping file could not be read or is invalid.</summary>
public sealed class BundleException : ArtefactException
{
    public BundleException(string subject, IReadOnlyList<ArtefactProblem> problems)
        : base(subject, problems)
    {
    }

    public BundleException(string subject, IReadOnlyList<ArtefactProblem> problems, Exception? innerException)
        : base(subject, problems, innerException)
    {
    }
}
