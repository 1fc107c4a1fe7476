using Arbor.Contracts.V1;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;
using Arbor.Leaf.Service;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Core;

namespace Arbor.Leaf.Tests.Service;

/// <summary>
/// A real leaf server whose inference slots the test holds, so that calls queue: excess calls are
/// shed with RESOURCE_EXHAUSTED, and calls the client gives up on end on the server at once, so
/// the client's connections are never dropped.
/// </summary>
public sealed class LeafOverloadTests(TestModelSet models) : IDisposable
{
    private const string Score = "/arbor.v1.Leaf/Score";

    private readonly TempDirectory _repo = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Score_QueueFull_NextCallShedWithResourceExhausted_QueuedCallsServedOnceSlotsFree(bool batching)
    {
        const int maxQueued = 4;
        await using var server = await StartAsync(batching, maxQueued);
        using var channel = new RpcChannel(server.GrpcAddress);
        var limiter = server.Partition.Limiter;
        var held = await HoldEverySlotAsync(limiter);

        var queued = Enumerable.Range(0, maxQueued).Select(_ => CallAsync(channel, Ct)).ToList();
        await TestPartitions.WaitUntilAsync(() => limiter.Queued == maxQueued, "every queue place is taken");
        var shed = await Assert.ThrowsAsync<RpcException>(() => CallAsync(channel, Ct));

        Assert.Equal(StatusCode.ResourceExhausted, shed.StatusCode);
        Assert.Contains("overloaded", shed.Status.Detail, StringComparison.Ordinal);
        held.ForEach(slot => slot.Dispose());
        var expected = models.Expected("ctr", "2", 0);
        foreach (var response in await Task.WhenAll(queued))
        {
            Assert.Equal(expected.Length, response.Scores.Count);
        }

        Assert.Equal(0, limiter.Queued);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Score_HundredsOfCallsCancelledWhileQueued_EndOnTheServer_ConnectionKeepsServing(bool batching)
    {
        // Kestrel refuses streams once a connection has more than twice its stream limit open on the
        // server (client reset, handler still running), then drops the connection: more cancelled
        // calls than that go through here, round after round.
        const int rounds = 4;
        const int callsPerRound = 150;
        await using var server = await StartAsync(batching, maxQueued: 1000);
        using var finished = new LongMeasurements(server.Partition.Metrics.Meter, "arbor.leaf.requests");
        using var channel = new RpcChannel(server.GrpcAddress);
        var limiter = server.Partition.Limiter;
        var held = await HoldEverySlotAsync(limiter);

        // The first call opens the first connection and waits on it through every round.
        var keeper = CallAsync(channel, Ct);
        await TestPartitions.WaitUntilAsync(() => limiter.Queued == 1, "the first call is queued");
        for (var round = 1; round <= rounds; round++)
        {
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var calls = Enumerable.Range(0, callsPerRound).Select(_ => CallAsync(channel, giveUp.Token)).ToList();
            var expectedQueued = batching ? 1 + (round * callsPerRound) : 1 + callsPerRound;
            await TestPartitions.WaitUntilAsync(() => limiter.Queued == expectedQueued, $"round {round}'s calls are queued");
            await giveUp.CancelAsync();

            foreach (var call in calls)
            {
                var error = await Assert.ThrowsAsync<RpcException>(() => call);
                Assert.Equal(StatusCode.Cancelled, error.StatusCode);
            }

            var done = round * callsPerRound;
            await TestPartitions.WaitUntilAsync(() => finished.Values.Count == done, $"the server ended round {round}'s {callsPerRound} cancelled calls");
        }

        held.ForEach(slot => slot.Dispose());
        var kept = await keeper;
        var after = await CallAsync(channel, Ct);

        var expected = models.Expected("ctr", "2", 0);
        Assert.Equal(expected.Length, kept.Scores.Count);
        Assert.Equal(expected.Length, after.Scores.Count);
    }

    public void Dispose() => _repo.Dispose();

    private static Task<LeafScoreResponse> CallAsync(RpcChannel channel, CancellationToken cancellationToken) =>
        channel.CallAsync(Score, ScoringCases.All[0].ToRequest("ctr"), LeafScoreResponse.Parser, cancellationToken: cancellationToken);

    private static async Task<List<InferenceLimiter.Slot>> HoldEverySlotAsync(InferenceLimiter limiter)
    {
        var held = new List<InferenceLimiter.Slot>();
        for (var i = 0; i < limiter.Concurrency; i++)
        {
            held.Add(await limiter.AcquireAsync(Ct));
        }

        return held;
    }

    private async Task<LeafServer> StartAsync(bool batching, int maxQueued)
    {
        models.CopyTo(_repo.Path, "ctr", "2");
        var config = TestPartitions.Config(_repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())) with { MaxQueued = maxQueued };
        if (batching)
        {
            config = config.WithBatching(new BatchingOptions(true, 1024));
        }

        return await LeafServer.StartAsync(config, cancellationToken: Ct);
    }
}
