using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Arbor.Rpc.Security;

/// <summary>
/// The bearer tokens (API keys) a listener accepts, each with the identity it authenticates as.
/// Only SHA-256 digests are kept, and every presented token is compared with every digest in fixed
/// time, so neither memory dumps nor response times give a token away. A set may be built from the
/// digests alone (<c>sha256:HEX</c>, <see cref="TryParseDigest"/>), so a config never has to hold a
/// plain token.
/// </summary>
public sealed class BearerTokenSet
{
    /// <summary>The header API-key clients send a bare token in, instead of <c>authorization: Bearer</c>.</summary>
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>How a token digest is written: <c>sha256:</c> and 64 hex digits.</summary>
    public const string DigestPrefix = "sha256:";

    private const string Scheme = "Bearer ";

    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    private readonly (string Identity, byte[] Digest)[] _tokens;

    /// <param name="tokens">Identity → token; identities are what logs and metrics show.</param>
    public BearerTokenSet(IEnumerable<KeyValuePair<string, string>> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = [.. tokens.Select(t => (t.Key, Digest(t.Value)))];
    }

    private BearerTokenSet((string Identity, byte[] Digest)[] tokens) => _tokens = tokens;

    /// <summary>A set of token digests (each 32 bytes, see <see cref="Digest"/>): identity → digest.</summary>
    public static BearerTokenSet FromDigests(IEnumerable<KeyValuePair<string, byte[]>> digests)
    {
        ArgumentNullException.ThrowIfNull(digests);
        (string Identity, byte[] Digest)[] tokens = [.. digests.Select(d => (d.Key, d.Value is { Length: SHA256.HashSizeInBytes } digest
            ? (byte[])digest.Clone()
            : throw new ArgumentException($"the digest of '{d.Key}' is not {SHA256.HashSizeInBytes} bytes", nameof(digests))))];
        return new BearerTokenSet(tokens);
    }

    public int Count => _tokens.Length;

    /// <summary>The identities of the set, in order.</summary>
    public IEnumerable<string> Identities => _tokens.Select(t => t.Identity);

    /// <summary>
    /// Checks an <c>authorization</c> header (or gRPC metadata) value of the form <c>Bearer TOKEN</c>
    /// (a bare token is accepted too, as API-key clients send it).
    /// </summary>
    public bool TryAuthenticate(string? authorization, out string identity) =>
        Check(authorization, null, out identity) == CredentialCheck.Accepted;

    /// <summary>
    /// Checks a request's credential: its <c>authorization</c> value (<c>Bearer TOKEN</c>, or a bare
    /// token) or, when it has none, its <see cref="ApiKeyHeader"/> value (a bare token).
    /// </summary>
    public CredentialCheck Check(string? authorization, string? apiKey, out string identity)
    {
        identity = "";
        ReadOnlySpan<char> token;
        if (!string.IsNullOrEmpty(authorization))
        {
            token = authorization.AsSpan();
            token = token.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? token[Scheme.Length..] : token;
        }
        else
        {
            token = apiKey.AsSpan();
        }

        token = token.Trim();
        if (token.IsEmpty)
        {
            return CredentialCheck.Missing;
        }

        // Hashed on the stack (a pooled buffer for a long token): checking a call allocates nothing.
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        var length = Encoding.UTF8.GetByteCount(token);
        var rented = length > StackTokenBytes ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> utf8 = rented is null ? stackalloc byte[StackTokenBytes] : rented;
        try
        {
            var written = Encoding.UTF8.GetBytes(token, utf8);
            SHA256.HashData(utf8[..written], presented);
        }
        finally
        {
            if (rented is not null)
            {
                CryptographicOperations.ZeroMemory(rented.AsSpan(0, length));
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

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
            return CredentialCheck.Invalid;
        }

        identity = _tokens[found].Identity;
        return CredentialCheck.Accepted;
    }

    private const int StackTokenBytes = 256;

    /// <summary>The SHA-256 of a token's UTF-8 bytes: what the set keeps, and what <c>sha256:HEX</c> writes.</summary>
    public static byte[] Digest(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    /// <summary>Reads <c>sha256:</c> followed by 64 hex digits (either case); false for anything else.</summary>
    public static bool TryParseDigest(string? text, out byte[] digest)
    {
        digest = [];
        if (text is null || !text.StartsWith(DigestPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var hex = text.AsSpan(DigestPrefix.Length).Trim();
        if (hex.Length != SHA256.HashSizeInBytes * 2 || hex.ContainsAnyExcept(HexDigits))
        {
            return false;
        }

        digest = Convert.FromHexString(hex);
        return true;
    }
}
