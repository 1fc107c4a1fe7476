using System.Net;
using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Tests.Fixtures;

namespace Arbor.Rpc.Tests.Accounting;

public sealed class KeepAliveTests
{
    /// <summary>An HTTP/2 PING frame: 9-byte frame header, 8 bytes of opaque data.</summary>
    private const int PingFrame = 17;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task IdleChannel_KeepsPingingTheServer()
    {
        await using var server = await RpcTestServer.StartAsync();
        await using var relay = new TcpRelay(new IPEndPoint(IPAddress.Loopback, server.Address.Port));
        var counters = new ByteCounters("keep-alive");
        // One second is the shortest delay SocketsHttpHandler takes (see the next test).
        using var channel = new RpcChannel($"http://127.0.0.1:{relay.Port}", new RpcChannelOptions { ByteCounters = counters, KeepAlivePingDelay = TimeSpan.FromSeconds(1) });
        await channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct);
        var (idle, _) = await Traffic.SettledAsync(counters, server.Counters);
        var relayedUp = relay.ToUpstream;
        var relayedDown = relay.FromUpstream;

        // No call is made from here on: whatever crosses is the channel's keep-alive.
        await Wait.UntilAsync(() => relay.ToUpstream - relayedUp >= 3 * PingFrame && relay.FromUpstream - relayedDown >= 3 * PingFrame, "three PINGs and their ACKs crossed the relay");
        var (later, _) = await Traffic.SettledAsync(counters, server.Counters);

        var sent = later.BytesSent - idle.BytesSent;
        var received = later.BytesReceived - idle.BytesReceived;
        Assert.Equal(1, server.Leaf.Calls);
        Assert.Equal(1, later.ConnectionsOpened);
        // PINGs one way, PING ACKs the other (plus, on a slow machine, a late SETTINGS ACK or two).
        Assert.True(sent >= 3 * PingFrame, $"{sent} bytes sent while idle");
        Assert.True(received >= 3 * PingFrame, $"{received} bytes received while idle");
    }

    [Fact]
    public void PingDelayUnderOneSecond_RefusedByTheHandler()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new RpcChannel("http://127.0.0.1:1", new RpcChannelOptions { ByteCounters = new ByteCounters("keep-alive-short"), KeepAlivePingDelay = TimeSpan.FromMilliseconds(200) }));

        Assert.Contains("00:00:01", error.Message, StringComparison.Ordinal);
    }
}
