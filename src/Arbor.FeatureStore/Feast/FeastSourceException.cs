namespace Arbor.FeatureStore.Feast;

/// <summary>
/// The Feast store cannot be served from as configured (a missing table, a join key of another
/// type, a value type Arbor does not take): a deployment mistake, found at start-up, that names the
/// view and feature.
/// </summary>
public sealed class FeastSourceException : Exception
{
    public FeastSourceException()
    {
    }

    public FeastSourceException(string message)
        : base(message)
    {
    }

    public FeastSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
