using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Arbor.Rpc.Tls;

namespace Arbor.Root.Hosting;

/// <summary>
/// Where the warm-up's channel connects: the address Kestrel bound the root's gRPC listener to (a
/// listener on every address is reached over loopback), over TLS when the listener serves TLS.
/// </summary>
/// <param name="Address">The listener's address (<c>http://</c> for h2c, <c>https://</c> for TLS), or null when it has none.</param>
/// <param name="Tls">The channel's TLS settings, or null for h2c.</param>
public sealed record WarmupTarget(Uri? Address, SslClientAuthenticationOptions? Tls)
{
    /// <summary>
    /// The target for the listener bound to <paramref name="bound"/>, serving TLS with
    /// <paramref name="serverTls"/> when it is set. The channel trusts exactly the certificate the
    /// listener presents (the process's own), and presents that certificate when the listener asks
    /// clients for one (it passes when the listener's client CA issued it; else the handshake fails
    /// and the warm-up runs in the process).
    /// </summary>
    public static WarmupTarget For(IPEndPoint? bound, TlsCredentialSource? serverTls)
    {
        if (bound is null)
        {
            return new(null, null);
        }

        var ip = bound.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : bound.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : bound.Address;
        var authority = new IPEndPoint(ip, bound.Port).ToString();
        if (serverTls is null)
        {
            return new(new Uri($"http://{authority}"), null);
        }

        var tls = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(serverTls.Current.Certificate.RawDataMemory.Span),
            LocalCertificateSelectionCallback = (_, _, _, _, _) => serverTls.Current.Certificate,
        };
        return new(new Uri($"https://{authority}"), tls);
    }
}
