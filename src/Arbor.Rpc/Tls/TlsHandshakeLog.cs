using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Tls;

/// <summary>Handshakes refused for the peer's certificate (never the certificate's content beyond its subject).</summary>
internal static partial class TlsHandshakeLog
{
    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "TLS handshake on {Endpoint} with {Peer} refused: {Reason}, subject '{Subject}' ({Detail})")]
    public static partial void Refused(ILogger logger, string endpoint, string? peer, string reason, string? subject, string detail);
}
