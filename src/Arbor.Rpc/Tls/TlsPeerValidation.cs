using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Arbor.Rpc.Tls;

/// <summary>
/// Checks a peer's certificate against the CAs of the <see cref="TlsCredentials"/> in force (and
/// only those: the system's roots are not trusted), for its purpose (a client's or a server's
/// certificate), at the time of the handshake.
/// </summary>
internal static class TlsPeerValidation
{
    /// <summary>The extended key usage of certificates that authenticate TLS clients.</summary>
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>The extended key usage of certificates that authenticate TLS servers.</summary>
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>Null when the certificate chains to one of <paramref name="trusted"/>; otherwise why not.</summary>
    public static TlsRefusal? Check(X509Certificate? certificate, X509Chain? presented, X509Certificate2Collection trusted, string purpose, DateTimeOffset now)
    {
        if (certificate is null)
        {
            return new TlsRefusal("no_certificate", "the peer sent no certificate");
        }

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(trusted);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = now.LocalDateTime;
        policy.ApplicationPolicy.Add(new Oid(purpose));
        if (presented is not null)
        {
            // The intermediates the peer sent.
            policy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            foreach (var element in presented.ChainElements)
            {
                policy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (chain.Build(leaf))
        {
            return null;
        }

        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, status) => all | status.Status);
        return new TlsRefusal(
            (flags & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0 ? "expired" : (flags & X509ChainStatusFlags.NotValidForUsage) != 0 ? "wrong_usage" : "untrusted",
            flags.ToString());
    }
}
