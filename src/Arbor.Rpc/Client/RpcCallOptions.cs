namespace Arbor.Rpc.Client;

/// <summary>Per-call settings. Immutable; share instances freely.</summary>
public sealed record RpcCallOptions
{
    /// <summary>No deadline, no compression.</summary>
    public static RpcCallOptions Default { get; } = new();

    /// <summary>The absolute deadline of the call (sent as <c>grpc-timeout</c> and enforced locally).</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>A relative deadline, from the start of the call (used when <see cref="Deadline"/> is null).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The request encoding (<c>gzip</c>, <c>lz4</c>, <c>zstd</c>); null or <c>identity</c>:
    /// uncompressed. Arbor servers answer in the same encoding.
    /// </summary>
    public string? Encoding { get; init; }

    /// <summary>Requests smaller than this many bytes go uncompressed; null: the channel's threshold.</summary>
    public int? CompressionThreshold { get; init; }

    /// <summary>
    /// The share of its bytes (0 to 1) compression must save on this channel to be used; while the
    /// recent saving is smaller, requests go uncompressed but for a probe now and then
    /// (<see cref="Compression.CompressionYield"/>). Null: the channel's setting.
    /// </summary>
    public double? MinCompressionSaving { get; init; }
}
