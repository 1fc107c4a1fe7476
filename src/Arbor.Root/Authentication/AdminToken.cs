using System.Security.Cryptography;
using Arbor.Root.Configuration;
using Arbor.Rpc.Security;

namespace Arbor.Root.Authentication;

/// <summary>
/// The admin listener's bearer token of one config version (<c>admin.token</c>), kept as a SHA-256
/// digest (<see cref="BearerTokenSet"/>). Immutable: a reload, or a rotated token file under an
/// unchanged config, publishes a new one (<see cref="AdminTokens"/>).
/// </summary>
public sealed class AdminToken
{
    private readonly byte[] _digest;

    private AdminToken(byte[] digest, string? file)
    {
        _digest = digest;
        Tokens = BearerTokenSet.FromDigests([new KeyValuePair<string, byte[]>("admin", digest)]);
        File = file;
    }

    /// <summary>The set the admin listener checks <c>authorization: Bearer</c> against.</summary>
    public BearerTokenSet Tokens { get; }

    /// <summary>The file (full path) the token was read from, if any: a rotated file is read again without a config change.</summary>
    public string? File { get; }

    /// <summary>True when <paramref name="other"/> holds the same token.</summary>
    public bool SameAs(AdminToken? other) => other is not null && CryptographicOperations.FixedTimeEquals(_digest, other._digest);

    /// <summary>
    /// The token <paramref name="config"/> names, its secret resolved; null when it has none (the
    /// admin listener asks for no token). A secret that cannot be read throws
    /// <see cref="RootConfigException"/> naming where it is, never what.
    /// </summary>
    public static AdminToken? From(RootConfig config, string baseDirectory, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Admin.Token is not { } token)
        {
            return null;
        }

        var value = RootSecrets.Resolve(token, baseDirectory, source, "$.admin.token");
        return new AdminToken(BearerTokenSet.Digest(value), token.File is { } file ? Path.GetFullPath(file, baseDirectory) : null);
    }
}
