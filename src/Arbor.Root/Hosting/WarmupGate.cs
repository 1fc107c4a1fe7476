using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Primitives;

namespace Arbor.Root.Hosting;

/// <summary>
/// How the start-up warm-up's calls on the root's own gRPC listener are told apart from traffic: a
/// random secret made when the process starts (<see cref="SecretBytes"/> bytes, never configured,
/// never logged), sent by the warm-up's channel in the <see cref="Header"/> header. While the
/// warm-up runs, <see cref="Authentication.PublicApiAuthentication"/> accepts a <c>Score</c> call on the gRPC
/// listener that carries it (compared in constant time) as the warm-up's, and
/// <see cref="RootGrpcService"/> scores it with the warm-up's <see cref="WarmupScorer"/>; any other
/// value, or any value once the warm-up has ended, makes the call an ordinary one.
/// </summary>
public sealed class WarmupGate
{
    /// <summary>The request header that carries the secret.</summary>
    public const string Header = "arbor-warmup";

    /// <summary>Length of the secret.</summary>
    public const int SecretBytes = 32;

    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(SecretBytes);
    private volatile WarmupScorer? _scorer;
    private volatile bool _closed;
    private long _accepted;

    /// <summary>The header value the warm-up sends (base64url of the secret).</summary>
    internal string HeaderValue => Base64Url.EncodeToString(_secret);

    /// <summary>Calls accepted as the warm-up's since start.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Routes accepted calls to <paramref name="scorer"/> until <see cref="Close"/>.</summary>
    internal void Open(WarmupScorer scorer)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        _scorer = scorer;
    }

    /// <summary>Ends the warm-up's access for good: the secret is never accepted again.</summary>
    internal void Close()
    {
        _closed = true;
        _scorer = null;
    }

    /// <summary>The warm-up's scorer when the warm-up runs and <paramref name="header"/> is the secret, else null.</summary>
    internal WarmupScorer? Accept(StringValues header)
    {
        if (_scorer is not { } scorer || header.Count != 1 || header[0] is not { } value)
        {
            return null;
        }

        Span<byte> presented = stackalloc byte[SecretBytes];
        if (!Base64Url.TryDecodeFromChars(value, presented, out var written) || written != SecretBytes)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(presented, _secret) || _closed)
        {
            return null;
        }

        Interlocked.Increment(ref _accepted);
        return scorer;
    }
}
