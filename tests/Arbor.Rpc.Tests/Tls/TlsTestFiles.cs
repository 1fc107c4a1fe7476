using Arbor.Rpc.Security;
using Arbor.Rpc.Tls;
using Arbor.Testing;

namespace Arbor.Rpc.Tests.Tls;

/// <summary>A server and a client identity on disk, each from its own CA, and the sources reading them.</summary>
internal sealed class TlsTestFiles : IDisposable
{
    private readonly TempDirectory _directory = new("arbor-tls-");

    public TlsTestFiles()
    {
        ServerCa.WriteCa(Combine("servers-ca.crt"));
        ClientCa.WriteCa(Combine("clients-ca.crt"));
        ServerCertificate = ServerCa.Issue("leaf", server: true);
        ServerCertificate.Write(_directory.Path, "server");
        ClientCertificate = ClientCa.Issue("root", server: false);
        ClientCertificate.Write(_directory.Path, "client");
    }

    public TestPki ServerCa { get; } = new("servers-ca");

    public TestPki ClientCa { get; } = new("clients-ca");

    public IssuedCertificate ServerCertificate { get; private set; }

    public IssuedCertificate ClientCertificate { get; private set; }

    public string Directory => _directory.Path;

    public string Combine(string name) => _directory.Combine(name);

    /// <summary>The server's credentials: its certificate, and the clients' CA (client certificates required).</summary>
    public TlsCredentialSource Server(string name = "test-server") =>
        new(name, new TlsFiles("server.crt", SecretValue.FromFile("server.key"), "clients-ca.crt", Directory));

    /// <summary>The client's credentials: its certificate, and the servers' CA.</summary>
    public TlsCredentialSource Client(string name = "test-client") =>
        new(name, new TlsFiles("client.crt", SecretValue.FromFile("client.key"), "servers-ca.crt", Directory));

    /// <summary>Renews both certificates on disk (same CAs, new keys).</summary>
    public void RenewBoth()
    {
        ServerCertificate = ServerCa.Issue("leaf", server: true);
        ServerCertificate.Write(Directory, "server");
        ClientCertificate = ClientCa.Issue("root", server: false);
        ClientCertificate.Write(Directory, "client");
    }

    public void Dispose()
    {
        ServerCa.Dispose();
        ClientCa.Dispose();
        _directory.Dispose();
    }
}
