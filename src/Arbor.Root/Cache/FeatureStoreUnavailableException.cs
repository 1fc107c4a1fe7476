namespace Arbor.Root.Cache;

/// <summary>The feature store failed and some requested entities had no cached copy recent enough to serve instead.</summary>
public sealed class FeatureStoreUnavailableException : Exception
{
    public FeatureStoreUnavailableException()
    {
    }

    public FeatureStoreUnavailableException(string message)
        : base(message)
    {
    }

    public FeatureStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
