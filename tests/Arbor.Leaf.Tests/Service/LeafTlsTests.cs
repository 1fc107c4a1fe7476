using System.Diagnostics.Metrics;
using System.Net.Security;
using Arbor.Contracts.V1;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Service;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Rpc.Client;
using Arbor.Rpc.Security;
using Arbor.Rpc.Tls;
using Arbor.Testing;
using Grpc.Core;

namespace Arbor.Leaf.Tests.Service;

public sealed class LeafTlsTests(TestModelSet models) : IDisposable
{
    private readonly TempDirectory _directory = new("arbor-leaf-tls-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task Leaf_WithServerTls_RefusesARootWithoutACertificateFromItsClientCa_AndServesOneWithIt()
    {
        using var leafCa = new TestPki("leaf-ca");
        using var rootCa = new TestPki("root-client-ca");
        using var strangerCa = new TestPki("stranger-ca");
        leafCa.WriteCa(_directory.Combine("leaf-ca.crt"));
        rootCa.WriteCa(_directory.Combine("root-client-ca.crt"));
        leafCa.Issue("leaf", server: true).Write(_directory.Path, "leaf");
        var rootCertificate = rootCa.Issue("root", server: false);
        rootCertificate.Write(_directory.Path, "root");
        strangerCa.Issue("root", server: false).Write(_directory.Path, "stranger");
        var repository = _directory.Combine("models");
        models.CopyTo(repository, "ctr", "2");
        File.WriteAllText(_directory.Combine("partition.yaml"), """
            partition: test
            repository: models
            watch: false
            models:
              - name: ctr
            server:
              grpc_port: 0
              http_port: -1
              tls:
                certificate: leaf.crt
                key: leaf.key
                client_ca: root-client-ca.crt
            """);
        var config = PartitionConfigLoader.Load(_directory.Combine("partition.yaml"));
        await using var server = await LeafServer.StartAsync(config, cancellationToken: Ct);
        using var refusals = new MeterListener();
        long counted = 0;
        var endpoint = $"127.0.0.1:{server.GrpcAddress.Port}";
        refusals.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "arbor.tls.handshake_failures")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        refusals.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "endpoint" && (string?)tag.Value == endpoint)
                {
                    Interlocked.Add(ref counted, value);
                }
            }
        });
        refusals.Start();

        var noCertificate = await ListModelsAsync(server.GrpcAddress, new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true });
        var stranger = await ListModelsAsync(server.GrpcAddress, TlsClientOptions.Create(Credentials("stranger"), "leaf"));
        var root = await ListModelsAsync(server.GrpcAddress, TlsClientOptions.Create(Credentials("root"), "leaf"));

        Assert.Equal("https", server.GrpcAddress.Scheme);
        Assert.IsType<RpcException>(noCertificate);
        Assert.IsType<RpcException>(stranger);
        var listed = Assert.IsType<ListModelsResponse>(root);
        Assert.Contains(listed.Models, m => m.Name == "ctr");
        Assert.True(Interlocked.Read(ref counted) >= 2, $"{counted} refused handshakes counted, expected both strangers");
    }

    [Fact]
    public void PartitionConfig_TlsWithoutClientCa_IsRefused()
    {
        var error = Assert.Throws<PartitionConfigException>(() => PartitionConfigLoader.Parse(
            """
            partition: test
            repository: models
            models: [{ name: ctr }]
            server: { tls: { certificate: leaf.crt, key: leaf.key } }
            """,
            yaml: true,
            _directory.Path));

        Assert.Contains("server.tls", error.Message, StringComparison.Ordinal);
        Assert.Contains("client_ca", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PartitionTlsExample_InSecurityMd_Parses()
    {
        var config = PartitionConfigLoader.Parse(DocumentationExamples.Read("security.md", "leaf_tls.yaml"), yaml: true, _directory.Path);

        Assert.Equal("/var/run/secrets/arbor-tls/tls.crt", config.Server.Tls!.Certificate);
        Assert.Equal("/var/run/secrets/arbor-tls/tls.key", config.Server.Tls.Key.File);
        Assert.Equal("/var/run/secrets/arbor-tls/ca.crt", config.Server.Tls.Ca);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Server.TlsReloadInterval);
    }

    public void Dispose() => _directory.Dispose();

    private TlsCredentialSource Credentials(string name) =>
        new($"leaf-test-{name}", new TlsFiles($"{name}.crt", SecretValue.FromFile($"{name}.key"), "leaf-ca.crt", _directory.Path));

    private static async Task<object> ListModelsAsync(Uri address, SslClientAuthenticationOptions ssl)
    {
        using var channel = new RpcChannel(address, new RpcChannelOptions { SslOptions = ssl, ByteCounters = new Arbor.Rpc.Accounting.ByteCounters("leaf-tls-test") });
        try
        {
            return await channel.CallAsync("/arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(20) }, Ct);
        }
        catch (RpcException e)
        {
            return e;
        }
    }
}
