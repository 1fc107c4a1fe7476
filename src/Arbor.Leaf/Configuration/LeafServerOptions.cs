namespace Arbor.Leaf.Configuration;

/// <summary>Where a leaf listens.</summary>
/// <param name="Address">The IP address to bind (127.0.0.1, 0.0.0.0).</param>
/// <param name="GrpcPort">gRPC over HTTP/2 cleartext (also answers /healthz and /readyz over HTTP/2); 0 picks a free port.</param>
/// <param name="HttpPort">HTTP/1.1 for /healthz, /readyz and /models (curl, probes); 0 picks a free port, -1 turns it off.</param>
/// <param name="MaxMessageBytes">Largest gRPC request or response message (after decompression); larger → RESOURCE_EXHAUSTED.</param>
/// <param name="MaxRowsPerCall">
/// Most rows (candidates) one Score call may ask for; more → INVALID_ARGUMENT before any work. A
/// request states its row count in a few bytes and the leaf allocates and scores that many rows, so
/// this bounds what one small request costs. Keep it at or above the roots' <c>limits.max_candidates</c>.
/// </param>
/// <param name="MaxStreamsPerConnection">
/// HTTP/2 streams (calls) one client connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS);
/// a client that needs more opens another connection.
/// </param>
public sealed record LeafServerOptions(
    string Address = "127.0.0.1",
    int GrpcPort = 7100,
    int HttpPort = 7101,
    int MaxMessageBytes = 16 * 1024 * 1024,
    int MaxRowsPerCall = LeafServerOptions.DefaultMaxRowsPerCall,
    int MaxStreamsPerConnection = LeafServerOptions.DefaultMaxStreamsPerConnection)
{
    public const int DefaultMaxRowsPerCall = 16_384;

    /// <summary>
    /// Mutual TLS on the gRPC port: the leaf's certificate and key and the CA bundle of the clients
    /// (roots) it accepts; a client without a certificate from that CA is refused at the handshake.
    /// Null: h2c. The HTTP/1.1 port stays cleartext (probes, metrics; it serves no calls).
    /// </summary>
    public Arbor.Rpc.Tls.TlsFiles? Tls { get; init; }

    /// <summary>How often the TLS files are re-read (a renewed certificate is used within one interval).</summary>
    public TimeSpan TlsReloadInterval { get; init; } = TimeSpan.FromSeconds(5);

    public const int DefaultMaxStreamsPerConnection = 100;
}
