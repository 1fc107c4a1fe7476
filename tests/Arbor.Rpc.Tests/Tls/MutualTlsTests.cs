using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Tests.Fixtures;
using Arbor.Rpc.Tls;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Tls;

public sealed class MutualTlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task Server_RefusesClientsWithoutTheRightCertificate_CountsAndLogsEach_ServesTheRightOne()
    {
        using var files = new TlsTestFiles();
        var endpoint = $"mtls-{Guid.NewGuid():N}";
        using var failures = new HandshakeFailures(endpoint);
        await using var server = await RpcTestServer.StartAsync(tls: files.Server(), countersName: endpoint);
        using var stranger = new Arbor.Testing.TestPki("stranger-ca");
        stranger.Issue("root", server: false).Write(files.Directory, "stranger");
        var strangerCredentials = new TlsCredentialSource("stranger", new TlsFiles("stranger.crt", Arbor.Rpc.Security.SecretValue.FromFile("stranger.key"), "servers-ca.crt", files.Directory));
        var anonymous = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true };

        var noCertificate = await CallAsync(server.Address, anonymous);
        var wrongCa = await CallAsync(server.Address, TlsClientOptions.Create(strangerCredentials, "leaf"));
        var right = await CallAsync(server.Address, TlsClientOptions.Create(files.Client(), "leaf"));

        Assert.NotNull(noCertificate);
        Assert.NotEqual(StatusCode.OK, noCertificate.StatusCode);
        Assert.NotNull(wrongCa);
        Assert.NotEqual(StatusCode.OK, wrongCa.StatusCode);
        Assert.Null(right);
        Assert.True(failures.Count("no_certificate") >= 1, "the missing certificate is counted");
        Assert.True(failures.Count("untrusted") >= 1, "the stranger's certificate is counted");
        var refusals = server.Logs.Entries.Where(e => e.EventId.Id == 7003).ToList();
        Assert.Contains(refusals, e => e.Message.Contains("no_certificate", StringComparison.Ordinal));
        Assert.Contains(refusals, e => e.Message.Contains("untrusted", StringComparison.Ordinal) && e.Message.Contains("CN=root", StringComparison.Ordinal));
        Assert.Equal([files.ClientCertificate.Thumbprint], server.ClientCertificates.Keys);
    }

    [Fact(Timeout = 120_000)]
    public async Task Rotation_OfServerAndClientCertificatesUnderLoad_FailsNoCall_AndNewHandshakesUseTheNewOnes()
    {
        using var files = new TlsTestFiles();
        var serverTls = files.Server();
        var clientTls = files.Client();
        await using var server = await RpcTestServer.StartAsync(tls: serverTls, countersName: $"rotation-{Guid.NewGuid():N}");
        var serverCertificatesSeen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var clientOptions = TlsClientOptions.Create(clientTls, "leaf");
        var validate = clientOptions.RemoteCertificateValidationCallback!;
        clientOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            serverCertificatesSeen.AddOrUpdate(certificate!.GetCertHashString(), 1, (_, n) => n + 1);
            return validate(sender, certificate, chain, errors);
        };
        long succeeded = 0;
        var failed = new ConcurrentQueue<Exception>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // Each round opens a new connection (a new handshake) and makes a few calls on it, so
        // handshakes keep happening while the files change.
        var workers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var channel = new RpcChannel(server.Address, new RpcChannelOptions { SslOptions = clientOptions, ByteCounters = new ByteCounters($"rotation-client-{w}") });
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        await channel.UnaryAsync(LeafMethods.Score, Payloads.LeafRequest(rows: 5, model: "echo", seed: i), cancellationToken: CancellationToken.None);
                        Interlocked.Increment(ref succeeded);
                    }
                    catch (RpcException e)
                    {
                        failed.Enqueue(e);
                    }
                }
            }
        })).ToList();

        await Wait.UntilAsync(() => Interlocked.Read(ref succeeded) >= 30, "calls before the rotation");
        var oldServer = files.ServerCertificate.Thumbprint;
        var oldClient = files.ClientCertificate.Thumbprint;
        files.RenewBoth();
        Assert.True(serverTls.CheckNow());
        Assert.True(clientTls.CheckNow());
        var afterRotation = Interlocked.Read(ref succeeded);
        await Wait.UntilAsync(
            () => serverCertificatesSeen.ContainsKey(files.ServerCertificate.Thumbprint) && server.ClientCertificates.ContainsKey(files.ClientCertificate.Thumbprint) && Interlocked.Read(ref succeeded) >= afterRotation + 30,
            "handshakes with the renewed certificates, and calls after them");
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Empty(failed);
        Assert.Contains(oldServer, serverCertificatesSeen.Keys);
        Assert.Contains(oldClient, server.ClientCertificates.Keys);
    }

    [Fact(Timeout = 60_000)]
    public async Task ByteCounts_WithMutualTls_EqualWhatARawSocketRelayCarried()
    {
        using var files = new TlsTestFiles();
        await using var server = await RpcTestServer.StartAsync(tls: files.Server(), countersName: $"mtls-bytes-{Guid.NewGuid():N}");
        await using var relay = new TcpRelay(new IPEndPoint(IPAddress.Loopback, server.Address.Port));
        var counters = new ByteCounters("mtls-relay-test");
        using var channel = new RpcChannel($"https://127.0.0.1:{relay.Port}", new RpcChannelOptions { ByteCounters = counters, SslOptions = TlsClientOptions.Create(files.Client(), "leaf") });

        for (var i = 0; i < 10; i++)
        {
            await channel.UnaryAsync(LeafMethods.Score, Payloads.LeafRequest(rows: 20 + i, model: "echo", seed: i), cancellationToken: Ct);
        }

        await Wait.UntilAsync(
            () => relay.ToUpstream == counters.Snapshot().BytesSent && relay.FromUpstream == counters.Snapshot().BytesReceived &&
                relay.ToUpstream == server.Counters.Snapshot().BytesReceived && relay.FromUpstream == server.Counters.Snapshot().BytesSent,
            "the counters equal the relay's counts");
        Assert.Equal(relay.ToUpstream, counters.Snapshot().BytesSent);
        Assert.Equal(relay.FromUpstream, server.Counters.Snapshot().BytesSent);
        Assert.Single(server.ClientCertificates);
    }

    private static async Task<RpcException?> CallAsync(Uri address, SslClientAuthenticationOptions ssl)
    {
        using var channel = new RpcChannel(address, new RpcChannelOptions { SslOptions = ssl, ByteCounters = new ByteCounters("mtls-client") });
        try
        {
            await channel.UnaryAsync(LeafMethods.Score, Payloads.LeafRequest(rows: 3, model: "echo"), new RpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, Ct);
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    /// <summary>Counts <c>arbor.tls.handshake_failures</c> of one endpoint, by reason.</summary>
    private sealed class HandshakeFailures : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

        public HandshakeFailures(string endpoint)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "arbor.tls.handshake_failures")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? at = null, reason = null;
                foreach (var tag in tags)
                {
                    at = tag.Key == "endpoint" ? tag.Value as string : at;
                    reason = tag.Key == "reason" ? tag.Value as string : reason;
                }

                if (at == endpoint && reason is not null)
                {
                    _counts.AddOrUpdate(reason, value, (_, n) => n + value);
                }
            });
            _listener.Start();
        }

        public long Count(string reason) => _counts.GetValueOrDefault(reason);

        public void Dispose() => _listener.Dispose();
    }
}
