using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Signatures;

/// <summary>A model signature (or the archive holding it) could not be read or is invalid.</summary>
public sealed class SignatureException : ArtefactException
{
    public SignatureException(string subject, IReadOnlyList<ArtefactProblem> problems)
        : base(subject, problems)
    {
    }

    public SignatureException(string subject, IReadOnlyList<ArtefactProblem> problems, Exception? innerException)
        : base(subject, problems, innerException)
    {
    }
}
