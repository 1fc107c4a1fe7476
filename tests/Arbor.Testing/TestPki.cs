using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Arbor.Testing;

/// <summary>
/// A certificate authority made on the spot, issuing server and client certificates for loopback
/// (127.0.0.1, localhost), written as PEM files the way a Kubernetes Secret mounts them.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly ECDsa _key;

    public TestPki(string name)
    {
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>The CA's own certificate (with its key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificate as PEM (a CA bundle of one).</summary>
    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>Issues a certificate for a server (serverAuth) or a client (clientAuth) on loopback.</summary>
    public IssuedCertificate Issue(string subject, bool server, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(Certificate, DateTimeOffset.UtcNow.AddMinutes(-5), notAfter ?? DateTimeOffset.UtcNow.AddDays(7), serial);
        return new IssuedCertificate(issued.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), issued.Thumbprint);
    }

    /// <summary>Writes the CA bundle to <paramref name="path"/> (atomically).</summary>
    public void WriteCa(string path) => IssuedCertificate.WriteAtomically(path, CertificatePem);

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}

/// <summary>An issued certificate and its private key, as PEM.</summary>
public sealed record IssuedCertificate(string CertificatePem, string KeyPem, string Thumbprint)
{
    /// <summary>Writes <c>&lt;name&gt;.crt</c> and <c>&lt;name&gt;.key</c> in <paramref name="directory"/>, each atomically (key first).</summary>
    public void Write(string directory, string name)
    {
        WriteAtomically(Path.Combine(directory, name + ".key"), KeyPem);
        WriteAtomically(Path.Combine(directory, name + ".crt"), CertificatePem);
    }

    internal static void WriteAtomically(string path, string content)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
