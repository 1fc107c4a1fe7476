namespace Arbor.Root.Preprocessing;

/// <summary>A feature value has the wrong type or shape (a malformed client-provided feature, a corrupt stored value).</summary>
public sealed class FeatureValueException : Exception
{
    public FeatureValueException()
    {
    }

    public FeatureValueException(string message)
        : base(message)
    {
    }

    public FeatureValueException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
