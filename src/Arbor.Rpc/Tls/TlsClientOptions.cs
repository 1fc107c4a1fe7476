using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Rpc.Tls;

/// <summary>TLS settings of a client (an <see cref="Client.RpcChannel"/>) with reloadable credentials.</summary>
public static class TlsClientOptions
{
    /// <summary>
    /// Client TLS settings that present the certificate in force at each handshake and accept a
    /// server whose certificate chains to the credentials' CA bundle (required), for server
    /// authentication. The server's name is not checked against its certificate: the CA bundle is
    /// the trust (leaves are reached by pod addresses), so it should be a CA that signs only those
    /// servers. A refused server is logged (event 7003) and counted in <c>arbor.tls.handshake_failures</c>.
    /// </summary>
    /// <param name="target">The server's name in logs and metrics.</param>
    public static SslClientAuthenticationOptions Create(TlsCredentialSource credentials, string target, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (credentials.Current.TrustedCa is null)
        {
            throw new ArgumentException($"The TLS credentials {credentials.Name} have no CA bundle to check servers against.", nameof(credentials));
        }

        logger ??= NullLogger.Instance;
        return new SslClientAuthenticationOptions
        {
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            LocalCertificateSelectionCallback = (_, _, _, _, _) => credentials.Current.Certificate,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                TlsListenerExtensions.Accept(
                    TlsPeerValidation.Check(certificate, chain, credentials.Current.TrustedCa!, TlsPeerValidation.ServerAuthentication, DateTimeOffset.UtcNow),
                    target,
                    target,
                    certificate,
                    logger),
        };
    }
}
