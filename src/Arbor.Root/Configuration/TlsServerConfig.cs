using Arbor.Rpc.Security;

namespace Arbor.Root.Configuration;

/// <summary>The root's server certificate, and optionally the CA bundle of the clients it accepts.</summary>
public sealed record TlsServerConfig
{
    /// <summary>PEM certificate file (then any intermediates), relative to the config file.</summary>
    public string Certificate { get; init; } = "";

    /// <summary>PEM private key: <c>{"file": PATH}</c> (a mounted Secret), <c>{"env": NAME}</c> or inline.</summary>
    public SecretValue? Key { get; init; }

    /// <summary>PEM CA bundle; when set, clients must present a certificate that chains to it.</summary>
    public string? ClientCa { get; init; }
}
