namespace Arbor.Leaf.Native;

/// <summary>A native libtorch error, carried into managed code with its status and message.</summary>
public sealed class TorchException : Exception
{
    public TorchException()
    {
    }

    public TorchException(string message)
        : base(message)
    {
    }

    public TorchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TorchException(TorchStatus status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
    }

    /// <summary>What kind of failure the shim reported.</summary>
    public TorchStatus Status { get; } = TorchStatus.Unknown;
}
