namespace Arbor.Rpc.Status;

/// <summary>
/// A call that ended with a non-OK gRPC status. Clients surface every failure (transport, deadline,
/// server status, protocol error) as this one type; server handlers throw it to choose the status
/// the caller sees.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates an exception carrying <paramref name="code"/> and a human-readable message.</summary>
    public RpcException(StatusCode code, string message)
        : base(message)
    {
        StatusCode = code;
    }

    /// <summary>Creates an exception carrying <paramref name="code"/>, a message and its cause.</summary>
    public RpcException(StatusCode code, string message, Exception? innerException)
        : base(message, innerException)
    {
        StatusCode = code;
    }

    /// <summary>The status of the failed call.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The status message (the <c>grpc-message</c> of the call, decoded).</summary>
    public string Detail => Message;

    /// <inheritdoc />
    public override string ToString() => $"RpcException: {StatusCode}: {Message}";
}
