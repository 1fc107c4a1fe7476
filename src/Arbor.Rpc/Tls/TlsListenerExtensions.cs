using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Arbor.Rpc.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Rpc.Tls;

/// <summary>Serves a Kestrel endpoint over TLS with reloadable credentials.</summary>
public static class TlsListenerExtensions
{
    /// <summary>
    /// Serves the endpoint over TLS with the credentials in force at each handshake. When the
    /// credentials have a CA bundle, clients must present a certificate that chains to it (mutual
    /// TLS); a refused handshake is logged (event 7003) and counted in
    /// <c>arbor.tls.handshake_failures</c>. Call after setting <see cref="ListenOptions.Protocols"/>
    /// (the ALPN offer follows them) and after any byte-counting middleware, which must stay below TLS.
    /// </summary>
    /// <param name="endpoint">The endpoint's name in logs and metrics.</param>
    public static ListenOptions UseTls(this ListenOptions listen, TlsCredentialSource credentials, string endpoint, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        logger ??= NullLogger.Instance;
        List<SslApplicationProtocol> alpn = listen.Protocols switch
        {
            HttpProtocols.Http2 => [SslApplicationProtocol.Http2],
            HttpProtocols.Http1 => [SslApplicationProtocol.Http11],
            _ => [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        };
        return listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context =>
            {
                // One snapshot for the whole handshake: the certificate and the client CAs agree.
                var current = credentials.Current;
                var options = new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = current.CertificateContext,
                    ApplicationProtocols = alpn,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                };
                if (current.TrustedCa is { } trusted)
                {
                    var peer = context.Connection.RemoteEndPoint?.ToString();
                    options.ClientCertificateRequired = true;
                    options.RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                        Accept(TlsPeerValidation.Check(certificate, chain, trusted, TlsPeerValidation.ClientAuthentication, DateTimeOffset.UtcNow), endpoint, peer, certificate, logger);
                }

                return ValueTask.FromResult(options);
            },
        });
    }

    internal static bool Accept(TlsRefusal? refusal, string endpoint, string? peer, X509Certificate? certificate, ILogger logger)
    {
        if (refusal is null)
        {
            return true;
        }

        RpcMetrics.RecordHandshakeFailure(endpoint, refusal.Reason);
        TlsHandshakeLog.Refused(logger, endpoint, peer, refusal.Reason, certificate?.Subject, refusal.Detail);
        return false;
    }
}
