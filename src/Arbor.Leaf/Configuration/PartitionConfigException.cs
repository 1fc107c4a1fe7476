namespace Arbor.Leaf.Configuration;

/// <summary>A partition configuration file could not be read or is invalid; the message lists every problem.</summary>
public sealed class PartitionConfigException : Exception
{
    public PartitionConfigException()
    {
    }

    public PartitionConfigException(string message)
        : base(message)
    {
    }

    public PartitionConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
