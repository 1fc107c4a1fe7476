using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Accounting;

public sealed class ByteAccountingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 60_000)]
    [InlineData(false, null)]
    [InlineData(false, "zstd")]
    [InlineData(true, null)]
    [InlineData(true, "gzip")]
    public async Task Counts_EqualWhatARawSocketRelayCarried_BothSidesBothDirections(bool tls, string? encoding)
    {
        using var certificate = tls ? TestCertificates.SelfSigned() : null;
        await using var server = await RpcTestServer.StartAsync(certificate: certificate);
        await using var relay = new TcpRelay(new IPEndPoint(IPAddress.Loopback, server.Address.Port));
        var counters = new ByteCounters("relay-test");
        using var channel = new RpcChannel($"{server.Address.Scheme}://127.0.0.1:{relay.Port}", new RpcChannelOptions
        {
            ByteCounters = counters,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });

        long payloadBytes = 0;
        for (var i = 0; i < 20; i++)
        {
            var request = Payloads.LeafRequest(rows: 10 + (i * 7), model: i % 3 == 0 ? "big" : "echo", seed: i);
            payloadBytes += request.CalculateSize();
            await channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = encoding }, Ct);
        }

        // HTTP/2 control frames (SETTINGS acks, WINDOW_UPDATEs) may still be in flight after the
        // last call returns: the counts must converge to exactly what the relay carried.
        await Wait.UntilAsync(
            () => relay.ToUpstream == counters.Snapshot().BytesSent && relay.FromUpstream == counters.Snapshot().BytesReceived &&
                relay.ToUpstream == server.Counters.Snapshot().BytesReceived && relay.FromUpstream == server.Counters.Snapshot().BytesSent,
            "the counters equal the relay's counts");

        var client = counters.Snapshot();
        var serverSide = server.Counters.Snapshot();
        Assert.Equal(relay.ToUpstream, client.BytesSent);
        Assert.Equal(relay.FromUpstream, client.BytesReceived);
        Assert.Equal(relay.ToUpstream, serverSide.BytesReceived);
        Assert.Equal(relay.FromUpstream, serverSide.BytesSent);
        Assert.Equal(1, client.ConnectionsOpened);
        Assert.Equal(1, client.ConnectionsActive);
        Assert.Equal(1, serverSide.ConnectionsOpened);
        if (encoding is null)
        {
            // Uncompressed: every payload byte crossed.
            Assert.True(client.BytesSent > payloadBytes, $"{client.BytesSent} bytes sent for {payloadBytes} payload bytes");
        }

        channel.Dispose();
        await Wait.UntilAsync(() => counters.Snapshot().ConnectionsActive == 0 && server.Counters.Snapshot().ConnectionsActive == 0, "both ends closed the connection");
    }

    [Fact(Timeout = 60_000)]
    public async Task Counts_PerConnection_AddUpToTheTarget()
    {
        await using var server = await RpcTestServer.StartAsync();
        var counters = new ByteCounters("per-connection-test");
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = counters });
        var pending = Enumerable.Range(0, 150)
            .Select(_ => channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "gate", RowCount = 1 }, cancellationToken: Ct))
            .ToList();
        await Wait.UntilAsync(() => server.Leaf.GateWaiters == 150, "every call waits at the gate");
        server.Leaf.Gate.SetResult();
        await Task.WhenAll(pending);

        // Late HTTP/2 control frames may still be counted while the totals and the per-connection
        // counts are read one after the other: the sums must converge to the totals.
        static bool AddUp(ByteCounters c)
        {
            var total = c.Snapshot();
            var connections = c.OpenConnections();
            return total.BytesSent == connections.Sum(x => x.BytesSent) && total.BytesReceived == connections.Sum(x => x.BytesReceived);
        }

        await Wait.UntilAsync(() => AddUp(counters) && AddUp(server.Counters), "the connections' counts add up to the totals on both ends");
        var connections = counters.OpenConnections();

        Assert.True(connections.Count >= 2);
        Assert.Equal(connections.Count, server.Counters.OpenConnections().Count);
        Assert.All(connections, c => Assert.True(c.BytesSent > 0 && c.BytesReceived > 0));
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_PublishTheTotalsPerTarget()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        await channel.UnaryAsync(LeafMethods.Score, Payloads.LeafRequest(rows: 30), cancellationToken: Ct);
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
