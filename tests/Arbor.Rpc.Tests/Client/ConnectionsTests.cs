using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Client;

/// <summary>A channel's calls over several HTTP/2 connections to one target (<see cref="RpcChannelOptions.Connections"/>).</summary>
public sealed class ConnectionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task Connections_CallsTakeThemInTurn()
    {
        await using var server = await RpcTestServer.StartAsync(countersName: "connections-in-turn");
        var counters = new ByteCounters("connections-in-turn-client");
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { Connections = 3, ByteCounters = counters });
        var request = Payloads.LeafRequest(rows: 200);
        var size = request.CalculateSize();

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(TestLeafService.Echo(request), await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct));
        }

        // Three connections, each opened once, each carrying two of the six requests (and the
        // connection's own preface, settings and headers, far smaller than a request).
        var connections = counters.OpenConnections();
        Assert.Equal(3, connections.Count);
        Assert.Equal(3, counters.Snapshot().ConnectionsOpened);
        Assert.All(connections, c => Assert.InRange(c.BytesSent, 2L * size, (3L * size) - 1));
        await Wait.UntilAsync(() => server.Counters.OpenConnections().Count == 3, "the server to see three connections");
    }

    [Fact(Timeout = 60_000)]
    public async Task Connections_DefaultOne_CarriesConcurrentCalls()
    {
        await using var server = await RpcTestServer.StartAsync(countersName: "connections-default");
        var counters = new ByteCounters("connections-default-client");
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = counters });
        var request = Payloads.LeafRequest(rows: 50);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct)));

        Assert.All(responses, r => Assert.Equal(TestLeafService.Echo(request), r));
        Assert.Equal(1, counters.Snapshot().ConnectionsOpened);
    }

    [Fact(Timeout = 60_000)]
    public async Task Connections_DisposingTheChannel_ClosesEveryOne()
    {
        await using var server = await RpcTestServer.StartAsync(countersName: "connections-dispose");
        var channel = new RpcChannel(server.Address, new RpcChannelOptions { Connections = 2, ByteCounters = new ByteCounters("connections-dispose-client") });
        var request = Payloads.LeafRequest(rows: 5);
        await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);
        await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);
        await Wait.UntilAsync(() => server.Counters.OpenConnections().Count == 2, "the server to see two connections");

        channel.Dispose();

        await Wait.UntilAsync(() => server.Counters.OpenConnections().Count == 0, "both connections to close");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(RpcChannelOptions.MaxConnections + 1)]
    public void Connections_OutOfRange_Refused(int connections)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RpcChannel("http://127.0.0.1:1", new RpcChannelOptions { Connections = connections }));
        Assert.Contains($"1 to {RpcChannelOptions.MaxConnections}", error.Message, StringComparison.Ordinal);
    }
}
