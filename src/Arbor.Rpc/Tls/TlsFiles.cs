using Arbor.Rpc.Security;

namespace Arbor.Rpc.Tls;

/// <summary>
/// Where one TLS identity and its trust come from: a PEM certificate file (the certificate first,
/// then any intermediates), its PEM private key (a file, an environment variable or inline, as every
/// <see cref="SecretValue"/>) and an optional PEM CA bundle. For a server the bundle lists the CAs
/// whose client certificates it accepts (and makes a client certificate required); for a client,
/// the CAs that sign the servers it calls.
/// </summary>
/// <param name="Certificate">The certificate file, relative to <paramref name="BaseDirectory"/>.</param>
/// <param name="Key">The private key (PEM, PKCS#8 or the algorithm's own form).</param>
/// <param name="Ca">The CA bundle file, relative to <paramref name="BaseDirectory"/>; null for none.</param>
/// <param name="BaseDirectory">What relative paths are relative to (the config file's folder).</param>
public sealed record TlsFiles(string Certificate, SecretValue Key, string? Ca, string BaseDirectory)
{
    /// <summary>The certificate file's full path.</summary>
    public string CertificatePath => Path.GetFullPath(Certificate, BaseDirectory);

    /// <summary>The CA bundle's full path, or null.</summary>
    public string? CaPath => Ca is null ? null : Path.GetFullPath(Ca, BaseDirectory);

    /// <summary>Every file the credentials are read from (the key's too when it is a file).</summary>
    public IEnumerable<string> Paths =>
        new[] { CertificatePath, CaPath, Key.File is { } key ? Path.GetFullPath(key, BaseDirectory) : null }.OfType<string>();
}
