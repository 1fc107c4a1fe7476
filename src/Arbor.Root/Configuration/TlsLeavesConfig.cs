using Arbor.Rpc.Security;

namespace Arbor.Root.Configuration;

/// <summary>The root's client certificate for leaves, and the CA bundle that signs the leaves' certificates.</summary>
public sealed record TlsLeavesConfig
{
    /// <summary>PEM client certificate file (then any intermediates), relative to the config file.</summary>
    public string Certificate { get; init; } = "";

    /// <summary>PEM private key: <c>{"file": PATH}</c> (a mounted Secret), <c>{"env": NAME}</c> or inline.</summary>
    public SecretValue? Key { get; init; }

    /// <summary>PEM CA bundle the leaves' certificates must chain to (only these CAs are trusted).</summary>
    public string Ca { get; init; } = "";
}
