using System.Collections.Frozen;

namespace Arbor.Rpc.Client;

/// <summary>
/// The encodings a server said it accepts (its <c>grpc-accept-encoding</c>), as last seen by a
/// channel. A channel compresses only with an encoding listed here, never with one the server
/// cannot read (grpcio, for one, does not answer an unknown encoding with UNIMPLEMENTED: it parses
/// the compressed bytes as the message, failing with INTERNAL or answering a garbage request).
/// </summary>
internal sealed class PeerAcceptEncoding
{
    private PeerAcceptEncoding(string header)
    {
        Header = header;
        Names = header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The header value this was parsed from.</summary>
    public string Header { get; }

    /// <summary>The encoding names.</summary>
    public FrozenSet<string> Names { get; }

    /// <summary>Returns <paramref name="current"/> when it already describes <paramref name="header"/>, else a new parse.</summary>
    public static PeerAcceptEncoding Update(PeerAcceptEncoding? current, string header) =>
        current is not null && string.Equals(current.Header, header, StringComparison.Ordinal) ? current : new PeerAcceptEncoding(header);
}
