using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Arbor.Rpc.Tls;

/// <summary>
/// One immutable TLS identity with its trust, as read from <see cref="TlsFiles"/> at one moment:
/// what a handshake uses from start to end. A <see cref="TlsCredentialSource"/> swaps in a new one
/// when the files change; handshakes already under way keep the one they started with.
/// </summary>
public sealed class TlsCredentials
{
    private TlsCredentials(X509Certificate2 certificate, SslStreamCertificateContext context, X509Certificate2Collection? trustedCa)
    {
        Certificate = certificate;
        CertificateContext = context;
        TrustedCa = trustedCa;
    }

    /// <summary>The certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate with its intermediates, as a server sends it.</summary>
    public SslStreamCertificateContext CertificateContext { get; }

    /// <summary>The CAs peers must chain to; null when none was configured.</summary>
    public X509Certificate2Collection? TrustedCa { get; }

    /// <summary>
    /// Builds credentials from PEM text. <paramref name="files"/> only names the sources in errors;
    /// <paramref name="now"/> is when the certificate must be valid.
    /// </summary>
    /// <exception cref="TlsCredentialsException">The text is not usable.</exception>
    public static TlsCredentials FromPem(byte[] certificatePem, byte[] keyPem, byte[]? caPem, TlsFiles files, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificatePem);
        ArgumentNullException.ThrowIfNull(keyPem);
        ArgumentNullException.ThrowIfNull(files);
        var certificateText = Encoding.UTF8.GetString(certificatePem);
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(certificateText);
        }
        catch (CryptographicException e)
        {
            throw new TlsCredentialsException($"{files.Certificate}: not a PEM certificate ({e.Message})", e);
        }

        if (chain.Count == 0)
        {
            throw new TlsCredentialsException($"{files.Certificate}: holds no PEM certificate");
        }

        X509Certificate2 certificate;
        try
        {
            using var pem = X509Certificate2.CreateFromPem(certificateText, Encoding.UTF8.GetString(keyPem));
            // A key read from PEM is ephemeral; a PKCS#12 round trip gives TLS a key it can always use.
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // The exception's own message may quote the key's PEM label; only the sources are named.
            throw new TlsCredentialsException($"the key ({files.Key}) is not a PEM private key that matches the certificate {files.Certificate}", e);
        }

        if (certificate.NotBefore > now.LocalDateTime || certificate.NotAfter < now.LocalDateTime)
        {
            throw new TlsCredentialsException($"{files.Certificate}: the certificate is valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}, not now");
        }

        X509Certificate2Collection? trusted = null;
        if (caPem is not null)
        {
            trusted = [];
            try
            {
                trusted.ImportFromPem(Encoding.UTF8.GetString(caPem));
            }
            catch (CryptographicException e)
            {
                throw new TlsCredentialsException($"{files.Ca}: not a PEM CA bundle ({e.Message})", e);
            }

            if (trusted.Count == 0)
            {
                throw new TlsCredentialsException($"{files.Ca}: holds no PEM certificate");
            }
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        return new TlsCredentials(certificate, SslStreamCertificateContext.Create(certificate, intermediates, offline: true), trusted);
    }
}
