using Arbor.Rpc.Compression;

namespace Arbor.Rpc.Server;

/// <summary>Settings of Arbor's gRPC servers (root and leaf), applied to grpc-dotnet by <see cref="RpcServiceCollectionExtensions.AddArborGrpc"/>.</summary>
public sealed class RpcServerOptions
{
    /// <summary>The longest status message sent to a client; longer ones are cut (a client's echoed input must not become a huge trailer).</summary>
    public const int MaxStatusDetailBytes = 1024;

    /// <summary>Largest request message accepted (also after decompression); larger → RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = CompressionRegistry.DefaultMaxMessageSize;

    /// <summary>Largest response message sent; larger → RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxSendMessageSize { get; set; } = CompressionRegistry.DefaultMaxMessageSize;

    /// <summary>The encodings the server accepts and may answer with.</summary>
    public CompressionRegistry Compression { get; set; } = CompressionRegistry.Default;

    /// <summary>
    /// The encoding of responses when the client accepts it. Null (the default): answer in the
    /// request's encoding, so a client that compresses gets compressed answers.
    /// </summary>
    public string? ResponseEncoding { get; set; }

    /// <summary>Responses smaller than this many bytes are sent uncompressed. Default 1 KiB.</summary>
    public int CompressionThreshold { get; set; } = 1024;

    /// <summary>Whether the server answers grpc.reflection (service listing and descriptors, as grpcurl uses). Default on.</summary>
    public bool EnableReflection { get; set; } = true;

    /// <summary>Smallest <see cref="ReceiveBlockSize"/> other than 0: Kestrel's own block size.</summary>
    public const int MinReceiveBlockSize = 4096;

    /// <summary>Largest <see cref="ReceiveBlockSize"/>.</summary>
    public const int MaxReceiveBlockSize = 1024 * 1024;

    /// <summary>
    /// Bytes per block of the memory Kestrel reads each socket into (<see cref="LargeBlockMemoryPool"/>),
    /// so at most this many bytes per receive call. Default 64 KiB: a few-hundred-KB leaf request
    /// arrives in a few reads instead of one per 4 KiB (docs/benchmarks.md, "The gRPC stack's
    /// floor"). 0 leaves Kestrel's own pool (4 KiB blocks).
    /// </summary>
    public int ReceiveBlockSize { get; set; } = 64 * 1024;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxReceiveMessageSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSendMessageSize);
        ArgumentOutOfRangeException.ThrowIfNegative(CompressionThreshold);
        ArgumentNullException.ThrowIfNull(Compression);
        if (ReceiveBlockSize != 0 && ReceiveBlockSize is < MinReceiveBlockSize or > MaxReceiveBlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBlockSize), ReceiveBlockSize, $"0 (Kestrel's own pool) or from {MinReceiveBlockSize} to {MaxReceiveBlockSize} bytes.");
        }

        if (ResponseEncoding is not null && !Compression.Supports(ResponseEncoding))
        {
            throw new ArgumentException($"Response encoding '{ResponseEncoding}' is not in the server's compression registry ({Compression.AcceptEncoding}).");
        }
    }
}
