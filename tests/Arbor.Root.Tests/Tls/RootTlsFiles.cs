using Arbor.Rpc.Security;
using Arbor.Rpc.Tls;
using Arbor.Testing;

namespace Arbor.Root.Tests.Tls;

/// <summary>
/// The certificates of a root with TLS on its public listeners and mutual TLS to its leaves, each
/// role from its own CA, as PEM files: <c>root</c> (the serving certificate), <c>client</c> (a
/// public client's), <c>root-client</c> (the root's toward leaves), <c>leaf</c> (the leaves').
/// </summary>
internal sealed class RootTlsFiles : IDisposable
{
    private readonly TempDirectory _directory = new("arbor-root-tls-");

    public RootTlsFiles()
    {
        foreach (var (ca, name) in new[] { (RootCa, "root-ca"), (ClientCa, "client-ca"), (RootClientCa, "root-client-ca"), (LeafCa, "leaf-ca") })
        {
            ca.WriteCa(Combine(name + ".crt"));
        }

        RootCertificate = RootCa.Issue("root", server: true);
        RootCertificate.Write(Directory, "root");
        ClientCa.Issue("client", server: false).Write(Directory, "client");
        RootClientCertificate = RootClientCa.Issue("root", server: false);
        RootClientCertificate.Write(Directory, "root-client");
        LeafCa.Issue("leaf", server: true).Write(Directory, "leaf");
    }

    public TestPki RootCa { get; } = new("root-ca");

    public TestPki ClientCa { get; } = new("client-ca");

    public TestPki RootClientCa { get; } = new("root-client-ca");

    public TestPki LeafCa { get; } = new("leaf-ca");

    public IssuedCertificate RootCertificate { get; private set; }

    public IssuedCertificate RootClientCertificate { get; private set; }

    public string Directory => _directory.Path;

    public string Combine(string name) => _directory.Combine(name);

    /// <summary>The leaves' credentials: their certificate, and the CA of the root's client certificate.</summary>
    public TlsCredentialSource Leaf() => new($"fake-leaf-{Guid.NewGuid():N}", new TlsFiles("leaf.crt", SecretValue.FromFile("leaf.key"), "root-client-ca.crt", Directory));

    /// <summary>A public client's credentials (its certificate when <paramref name="withCertificate"/>), trusting the root's CA.</summary>
    public TlsCredentialSource Client(bool withCertificate = true) =>
        new($"public-client-{Guid.NewGuid():N}", new TlsFiles(withCertificate ? "client.crt" : "root-client.crt", SecretValue.FromFile(withCertificate ? "client.key" : "root-client.key"), "root-ca.crt", Directory));

    /// <summary>Adds the <c>tls</c> section to a root config (absolute paths; the key from a file reference).</summary>
    public string AddTo(string config, bool requireClientCertificates = false) => config.Replace(
        "\"schema\": \"arbor.root/v1\",",
        $$"""
        "schema": "arbor.root/v1",
          "tls": {
            "server": { "certificate": "{{Json(Combine("root.crt"))}}", "key": { "file": "{{Json(Combine("root.key"))}}" }{{(requireClientCertificates ? $", \"client_ca\": \"{Json(Combine("client-ca.crt"))}\"" : "")}} },
            "leaves": { "certificate": "{{Json(Combine("root-client.crt"))}}", "key": { "file": "{{Json(Combine("root-client.key"))}}" }, "ca": "{{Json(Combine("leaf-ca.crt"))}}" },
            "reload_interval_ms": 50
          },
        """,
        StringComparison.Ordinal);

    /// <summary>Renews the root's serving certificate and its client certificate toward leaves (same CAs, new keys).</summary>
    public void RenewRootCertificates()
    {
        RootCertificate = RootCa.Issue("root", server: true);
        RootCertificate.Write(Directory, "root");
        RootClientCertificate = RootClientCa.Issue("root", server: false);
        RootClientCertificate.Write(Directory, "root-client");
    }

    public void Dispose()
    {
        RootCa.Dispose();
        ClientCa.Dispose();
        RootClientCa.Dispose();
        LeafCa.Dispose();
        _directory.Dispose();
    }

    private static string Json(string path) => path.Replace("\\", "\\\\", StringComparison.Ordinal);
}
