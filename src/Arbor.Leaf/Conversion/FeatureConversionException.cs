namespace Arbor.Leaf.Conversion;

/// <summary>
/// A request's features do not fit the model's signature (wrong type, wrong shape, malformed
/// column). Served as INVALID_ARGUMENT; the message names the feature.
/// </summary>
public sealed class FeatureConversionException : Exception
{
    public FeatureConversionException()
    {
    }

    public FeatureConversionException(string message)
        : base(message)
    {
    }

    public FeatureConversionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FeatureConversionException(string feature, string message)
        : base($"feature '{feature}': {message}")
    {
        Feature = feature;
    }

    /// <summary>The feature at fault, when one is.</summary>
    public string? Feature { get; }
}
