using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Client;

public sealed class DeadlineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task ShortDeadline_DeadlineExceededAndTheHandlerIsCancelled()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "wait" }, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(2) }, Ct));

        // The deadline leaves a loaded machine time to start the handler, which must then be cancelled.
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(await server.Leaf.WaitCancelled.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.NotNull(server.Leaf.LastDeadline);
        // The handler saw the client's deadline (sent as grpc-timeout): about 2 s after the start.
        Assert.InRange(server.Leaf.LastDeadline.Value, started.AddSeconds(1), started.AddSeconds(12));
    }

    [Fact(Timeout = 60_000)]
    public async Task AbsoluteDeadline_IsSentAndEnforced()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        // As for the timeout above: long enough for a loaded machine to reach the handler.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(2);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "wait" }, new RpcCallOptions { Deadline = deadline }, Ct));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(await server.Leaf.WaitCancelled.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.NotNull(server.Leaf.LastDeadline);
        // grpc-timeout carries a relative time: the server's deadline is the client's, give or take the trip.
        Assert.InRange(server.Leaf.LastDeadline.Value, deadline.UtcDateTime.AddSeconds(-5), deadline.UtcDateTime.AddSeconds(5));
    }

    [Fact(Timeout = 60_000)]
    public async Task ServerEnforcesTheGrpcTimeoutItReceives()
    {
        // grpc-dotnet's client always enforces its own deadline too, so send the header without one:
        // only the server's reading of grpc-timeout can end this call.
        await using var server = await RpcTestServer.StartAsync();
        var body = RawGrpc.Frame(new LeafScoreRequest { Model = "wait" }.ToByteArray(), compressed: false);

        var response = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/Score", body, [new("grpc-timeout", "300m")], Ct);

        Assert.Equal((int)StatusCode.DeadlineExceeded, response.GrpcStatus);
        Assert.Empty(response.Frames);
        Assert.True(await server.Leaf.WaitCancelled.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Empty(server.Logs.Errors);
    }

    [Fact(Timeout = 60_000)]
    public async Task LongButValidDeadline_AnswersNormally()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 5);

        var response = await channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(1e8) }, Ct);

        Assert.Equal(TestLeafService.Echo(request), response);
        Assert.NotNull(server.Leaf.LastCallDeadline);
        // gRPC's longest timeout is 99,999,999 s; the server sees a deadline years away, not none.
        Assert.True(server.Leaf.LastCallDeadline.Value > DateTime.UtcNow.AddDays(365 * 3), $"{server.Leaf.LastCallDeadline:O}");
        Assert.True(server.Leaf.LastCallDeadline.Value < DateTime.MaxValue);
        Assert.Empty(server.Logs.Errors);
    }

    [Fact(Timeout = 60_000)]
    public async Task NoDeadline_TheServerSeesNone()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);

        await channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "x" }, cancellationToken: Ct);

        Assert.Equal(DateTime.MaxValue, server.Leaf.LastCallDeadline);
    }
}
