using System.Security.Cryptography;
using System.Text;

namespace Arbor.Rpc.Security;

/// <summary>
/// The bearer tokens (API keys) a listener accepts, each with the identity it authenticates as.
/// Only SHA-256 digests are kept, and every presented token is compared with every digest in fixed
/// time, so neither memory dumps nor response times give a token away.
/// </summary>
public sealed class BearerTokenSet
{
    private const string Scheme = "Bearer ";

    private readonly (string Identity, byte[] Digest)[] _tokens;

    /// <param name="tokens">Identity → token; identities are what logs and metrics show.</param>
    public BearerTokenSet(IEnumerable<KeyValuePair<string, string>> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = [.. tokens.Select(t => (t.Key, Digest(t.Value)))];
    }

    /// <summary>A set of one token (an admin token).</summary>
    public static BearerTokenSet Single(string identity, string token) => new([new(identity, token)]);

    public int Count => _tokens.Length;

    /// <summary>
    /// Checks an <c>authorization</c> header (or gRPC metadata) value of the form <c>Bearer TOKEN</c>
    /// (a bare token is accepted too, as API-key clients send it).
    /// </summary>
    public bool TryAuthenticate(string? authorization, out string identity)
    {
        identity = "";
        if (string.IsNullOrEmpty(authorization))
        {
            return false;
        }

        var token = authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? authorization[Scheme.Length..].Trim() : authorization.Trim();
        var presented = Digest(token);
        var found = -1;
        for (var i = 0; i < _tokens.Length; i++)
        {
            // No early exit: the time taken does not depend on which token matched.
            if (CryptographicOperations.FixedTimeEquals(presented, _tokens[i].Digest) && found < 0)
            {
                found = i;
            }
        }

        if (found < 0)
        {
            return false;
        }

        identity = _tokens[found].Identity;
        return true;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
