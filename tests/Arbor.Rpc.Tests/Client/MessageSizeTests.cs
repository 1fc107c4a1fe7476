using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Tests.Fixtures;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Client;

public sealed class MessageSizeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task RequestOverTheServerLimit_ResourceExhaustedAndTheHandlerNeverRuns()
    {
        await using var server = await RpcTestServer.StartAsync(options => options.MaxReceiveMessageSize = 4096);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 100);
        Assert.True(request.CalculateSize() > 4096);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct));
        var small = await channel.UnaryAsync(LeafMethods.Score, Payloads.LeafRequest(rows: 2), cancellationToken: Ct);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(2u, small.RowCount);
        Assert.Equal(1, server.Leaf.Calls);
        Assert.Empty(server.Logs.Errors);
    }

    [Fact(Timeout = 60_000)]
    public async Task RequestOverTheClientSendLimit_ResourceExhaustedAndTheRequestIsNotSent()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { MaxSendMessageSize = 1000, ByteCounters = new ByteCounters("send-limit") });
        var request = Payloads.LeafRequest(rows: 10);
        Assert.True(request.CalculateSize() > 1000);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0, server.Leaf.Calls);
        Assert.True(channel.Counters.Snapshot().BytesSent < request.CalculateSize(), $"{channel.Counters.Snapshot().BytesSent} bytes sent");
    }

    [Fact(Timeout = 60_000)]
    public async Task ResponseOverTheClientLimit_ResourceExhausted()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { MaxReceiveMessageSize = 10_000 });

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "big", RowCount = 100 }, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task ResponseOverTheServerSendLimit_ResourceExhausted()
    {
        await using var server = await RpcTestServer.StartAsync(options => options.MaxSendMessageSize = 10_000);
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "big", RowCount = 100 }, cancellationToken: Ct));
        var small = await channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "big", RowCount = 2 }, cancellationToken: Ct);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(2 + (2 * 64), small.Scores.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task MessagesUpToTheLimits_Pass()
    {
        var request = Payloads.LeafRequest(rows: 100, model: "big");
        var response = TestLeafService.Big(request);
        await using var server = await RpcTestServer.StartAsync(options =>
        {
            options.MaxReceiveMessageSize = request.CalculateSize();
            options.MaxSendMessageSize = response.CalculateSize();
        });
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions
        {
            MaxSendMessageSize = request.CalculateSize(),
            MaxReceiveMessageSize = response.CalculateSize(),
        });

        var received = await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);

        Assert.Equal(response, received);
    }
}
