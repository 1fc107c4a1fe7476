using System.Diagnostics.Metrics;
using System.Net;
using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Tests.Client;
using Arbor.Rpc.Tests.Fixtures;

namespace Arbor.Rpc.Tests.Accounting;

public sealed class ByteAccountingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false, null)]
    [InlineData(false, "zstd")]
    [InlineData(true, null)]
    public async Task Counts_EqualWhatARawSocketRelayCarried(bool tls, string? encoding)
    {
        using var certificate = tls ? TestCertificates.SelfSigned() : null;
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map, certificate: certificate);
        await using var relay = new TcpRelay(new IPEndPoint(IPAddress.Loopback, server.Address.Port));
        var counters = new ByteCounters("relay-test");
        using var channel = new RpcChannel($"{server.Address.Scheme}://127.0.0.1:{relay.Port}", new RpcChannelOptions
        {
            ByteCounters = counters,
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });

        long payloadBytes = 0;
        for (var i = 0; i < 20; i++)
        {
            var request = Payloads.LeafRequest(rows: 10 + (i * 7), seed: i);
            payloadBytes += request.CalculateSize();
            await channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, new RpcCallOptions { Encoding = encoding }, Ct);
        }

        // HTTP/2 control frames (SETTINGS acks, WINDOW_UPDATEs) may still be in flight after the
        // last call returns: the counts must converge to exactly what the relay carried.
        await UnaryCallTests.WaitUntilAsync(() =>
            relay.ToUpstream == counters.Snapshot().BytesSent && relay.FromUpstream == counters.Snapshot().BytesReceived &&
            relay.ToUpstream == server.Counters.Snapshot().BytesReceived && relay.FromUpstream == server.Counters.Snapshot().BytesSent);

        var client = counters.Snapshot();
        var serverSide = server.Counters.Snapshot();
        Assert.Equal(relay.ToUpstream, client.BytesSent);
        Assert.Equal(relay.FromUpstream, client.BytesReceived);
        Assert.Equal(relay.ToUpstream, serverSide.BytesReceived);
        Assert.Equal(relay.FromUpstream, serverSide.BytesSent);
        channel.Dispose();
        await UnaryCallTests.WaitUntilAsync(() => counters.Snapshot().ConnectionsActive == 0);
        Assert.Equal(1, client.ConnectionsOpened);
        Assert.Equal(1, client.ConnectionsActive);
        Assert.Equal(0, counters.Snapshot().ConnectionsActive);
        if (encoding is null && !tls)
        {
            // Uncompressed: every payload byte crosses, plus framing that stays modest.
            Assert.InRange(client.BytesSent, payloadBytes, payloadBytes + 20 * 400 + 2000);
        }
    }

    [Fact]
    public async Task Counts_PerConnection_AddUpToTheTarget()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        var counters = new ByteCounters("per-connection-test");
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = counters });
        var pending = Enumerable.Range(0, 150)
            .Select(_ => channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "gate", RowCount = 1 }, LeafScoreResponse.Parser, cancellationToken: Ct))
            .ToList();
        await UnaryCallTests.WaitUntilAsync(() => leaf.GateWaiters == 150);
        leaf.Gate.SetResult();
        await Task.WhenAll(pending);

        // Late HTTP/2 control frames may still be counted: the sums must converge to the totals.
        await UnaryCallTests.WaitUntilAsync(() =>
        {
            var total = counters.Snapshot();
            var connections = counters.OpenConnections();
            return total.BytesSent == connections.Sum(c => c.BytesSent) && total.BytesReceived == connections.Sum(c => c.BytesReceived);
        });
        var connections = counters.OpenConnections();

        Assert.True(connections.Count >= 2);
        Assert.All(connections, c => Assert.True(c.BytesSent > 0 && c.BytesReceived > 0));
    }

    [Fact]
    public async Task Metrics_PublishTheTotalsPerTarget()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);
        await channel.CallAsync("arbor.v1.Leaf/Score", Payloads.LeafRequest(rows: 30), LeafScoreResponse.Parser, cancellationToken: Ct);
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RpcMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "target" && (string?)tag.Value == server.Authority)
                {
                    measured[instrument.Name] = value;
                }
            }
        });
        listener.Start();

        // Late HTTP/2 control frames may still arrive: the published values lie between two snapshots.
        var before = channel.Counters.Snapshot();
        listener.RecordObservableInstruments();
        var after = channel.Counters.Snapshot();

        Assert.Same(ByteCounters.Client(server.Authority), channel.Counters);
        Assert.True(before.BytesSent > 0);
        Assert.InRange(measured["arbor.rpc.client.sent_bytes"], before.BytesSent, after.BytesSent);
        Assert.InRange(measured["arbor.rpc.client.received_bytes"], before.BytesReceived, after.BytesReceived);
        Assert.Equal(1, measured["arbor.rpc.client.connections"]);
    }
}
