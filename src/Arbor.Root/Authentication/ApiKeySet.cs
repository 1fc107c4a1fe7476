using System.Collections.Frozen;
using Arbor.Root.Configuration;
using Arbor.Rpc.Security;

namespace Arbor.Root.Authentication;

/// <summary>
/// The API keys of one config version (<c>auth.keys</c>), kept as SHA-256 digests
/// (<see cref="BearerTokenSet"/>), each with the <see cref="ApiClient"/> it authenticates as.
/// Immutable: a reload publishes a new set (<see cref="ApiKeys"/>).
/// </summary>
public sealed class ApiKeySet
{
    private readonly BearerTokenSet _tokens;
    private readonly FrozenDictionary<string, ApiClient> _clients;

    private ApiKeySet(BearerTokenSet tokens)
    {
        _tokens = tokens;
        _clients = tokens.Identities.ToFrozenDictionary(name => name, name => new ApiClient(name), StringComparer.Ordinal);
    }

    /// <summary>The configured client names.</summary>
    public IReadOnlyCollection<string> Names => _clients.Keys;

    /// <summary>
    /// The keys <paramref name="config"/> names, their secrets resolved; null when it has no
    /// <c>auth</c> section (the public API is open). A secret that cannot be read or a digest that
    /// is not <c>sha256:HEX</c> throws <see cref="RootConfigException"/> naming where it is, never what.
    /// </summary>
    public static ApiKeySet? From(RootConfig config, string baseDirectory, string source)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Auth is not { } auth)
        {
            return null;
        }

        var digests = new List<KeyValuePair<string, byte[]>>(auth.Keys.Count);
        for (var i = 0; i < auth.Keys.Count; i++)
        {
            var key = auth.Keys[i];
            var path = $"$.auth.keys[{i}]";
            if (key.Token is { } token)
            {
                digests.Add(new(key.Name, BearerTokenSet.Digest(RootSecrets.Resolve(token, baseDirectory, source, path + ".token"))));
            }
            else if (key.Digest is { } digest && BearerTokenSet.TryParseDigest(RootSecrets.Resolve(digest, baseDirectory, source, path + ".digest"), out var bytes))
            {
                digests.Add(new(key.Name, bytes));
            }
            else
            {
                throw new RootConfigException(source, [$"{path}.digest: must be 'sha256:' and 64 hex digits"]);
            }
        }

        return new ApiKeySet(BearerTokenSet.FromDigests(digests));
    }

    /// <summary>Checks a call's <c>authorization</c> and <c>x-api-key</c> values; <paramref name="client"/> is the key's client when accepted.</summary>
    public CredentialCheck Check(string? authorization, string? apiKey, out ApiClient client)
    {
        var check = _tokens.Check(authorization, apiKey, out var name);
        client = check == CredentialCheck.Accepted ? _clients[name] : ApiClient.Anonymous;
        return check;
    }
}
