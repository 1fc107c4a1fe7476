namespace Arbor.Root.Configuration;

/// <summary>
/// TLS of the root: on its public listeners and on its calls to leaves. Read at start-up; the
/// certificate, key and CA files are re-read every <see cref="ReloadIntervalMs"/> and a renewed
/// certificate is used from the next handshake on.
/// </summary>
public sealed record RootTlsConfig
{
    /// <summary>TLS on the public gRPC and HTTP listeners; null: cleartext. The admin listener stays cleartext.</summary>
    public TlsServerConfig? Server { get; init; }

    /// <summary>Mutual TLS on the calls to leaves (every leaf endpoint is called over https); null: h2c.</summary>
    public TlsLeavesConfig? Leaves { get; init; }

    /// <summary>How often the TLS files are re-read.</summary>
    public int ReloadIntervalMs { get; init; } = 5000;
}
