namespace Arbor.Leaf.Inference;

/// <summary>The model's forward failed or returned scores that do not match its signature.</summary>
public sealed class InferenceFailedException : Exception
{
    public InferenceFailedException()
    {
    }

    public InferenceFailedException(string message)
        : base(message)
    {
    }

    public InferenceFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
