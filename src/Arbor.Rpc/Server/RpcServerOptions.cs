using Arbor.Rpc.Compression;
using Arbor.Rpc.Wire;

namespace Arbor.Rpc.Server;

/// <summary>
/// Settings of the RPC server, read once when methods are mapped (configure them with
/// <c>services.Configure&lt;RpcServerOptions&gt;(...)</c> before mapping).
/// </summary>
public sealed class RpcServerOptions
{
    /// <summary>Largest request message accepted (after decompression); larger → RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>Largest response message sent; larger → RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxSendMessageSize { get; set; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>The encodings the server accepts and may answer with.</summary>
    public CompressionRegistry Compression { get; set; } = CompressionRegistry.Default;

    /// <summary>
    /// The encoding of responses when the client accepts it. Null (the default): answer in the
    /// request's encoding, so a client that compresses gets compressed answers.
    /// </summary>
    public string? ResponseEncoding { get; set; }

    /// <summary>Responses smaller than this many bytes are sent uncompressed. Default 1 KiB.</summary>
    public int CompressionThreshold { get; set; } = 1024;

    /// <summary>Whether INTERNAL statuses carry the handler exception's message (off: a generic message).</summary>
    public bool IncludeExceptionDetails { get; set; }

    /// <summary>The clock of deadlines.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxReceiveMessageSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSendMessageSize);
        ArgumentOutOfRangeException.ThrowIfNegative(CompressionThreshold);
        ArgumentNullException.ThrowIfNull(Compression);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (ResponseEncoding is not null && !Compression.Supports(ResponseEncoding))
        {
            throw new ArgumentException($"Response encoding '{ResponseEncoding}' is not in the server's compression registry ({Compression.AcceptEncoding}).");
        }
    }
}
