using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
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

    private readonly byte[] _fingerprint;

    private ApiKeySet(List<KeyValuePair<string, byte[]>> digests, string[] keyFiles)
    {
        _tokens = BearerTokenSet.FromDigests(digests);
        _clients = _tokens.Identities.ToFrozenDictionary(name => name, name => new ApiClient(name), StringComparer.Ordinal);
        KeyFiles = keyFiles;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, digest) in digests)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData([0]);
            hash.AppendData(digest);
        }

        _fingerprint = hash.GetHashAndReset();
    }

    /// <summary>The configured client names.</summary>
    public IReadOnlyCollection<string> Names => _clients.Keys;

    /// <summary>The files (full paths) the keys were read from: a rotated key file is read again without a config change.</summary>
    public IReadOnlyList<string> KeyFiles { get; }

    /// <summary>True when <paramref name="other"/> holds the same names with the same keys, in the same order.</summary>
    public bool SameKeysAs(ApiKeySet? other) => other is not null && _fingerprint.AsSpan().SequenceEqual(other._fingerprint);

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
        var keyFiles = new List<string>();
        for (var i = 0; i < auth.Keys.Count; i++)
        {
            var key = auth.Keys[i];
            var path = $"$.auth.keys[{i}]";
            if ((key.Token ?? key.Digest)?.File is { } file)
            {
                keyFiles.Add(Path.GetFullPath(file, baseDirectory));
            }

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

        return new ApiKeySet(digests, [.. keyFiles]);
    }

    /// <summary>Checks a call's <c>authorization</c> and <c>x-api-key</c> values; <paramref name="client"/> is the key's client when accepted.</summary>
    public CredentialCheck Check(string? authorization, string? apiKey, out ApiClient client)
    {
        var check = _tokens.Check(authorization, apiKey, out var name);
        client = check == CredentialCheck.Accepted ? _clients[name] : ApiClient.Anonymous;
        return check;
    }
}
