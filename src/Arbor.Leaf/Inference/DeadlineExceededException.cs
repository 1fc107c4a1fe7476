namespace Arbor.Leaf.Inference;

/// <summary>The request's deadline passed before its inference started, so the work was skipped.</summary>
public sealed class DeadlineExceededException : Exception
{
    public DeadlineExceededException()
        : base("the deadline passed before inference started; the work was skipped")
    {
    }

    public DeadlineExceededException(string message)
        : base(message)
    {
    }

    public DeadlineExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
