using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.Root.Batching;
using Arbor.Root.Cache;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Root.FanOut;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Root.Scoring;
using Arbor.Root.Tests.Cache;
using Arbor.Signatures.Registry;
using Arbor.Testing;
using Arbor.Trimming;
using Arbor.Trimming.Diagnostics;
using Arbor.Trimming.Options;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbor.Root.Tests.Scoring;

/// <summary>
/// The scorer's request-level statuses when fetching features fails or runs out of time, on a
/// manual clock and a gated in-memory store (the leaves are never reached).
/// </summary>
public sealed class RootScorerTests : IDisposable
{
    private const int DefaultDeadlineMs = 250;

    private readonly ManualTimeProvider _time = new();
    private readonly FakeFeatureSource _store = new();
    private readonly TestMeterFactory _meters = new();
    private readonly FeatureCacheMetrics _cacheMetrics;
    private readonly RootMetrics _rootMetrics;
    private readonly FeatureTrimmer _trimmer;
    private readonly LeafClientPool _leaves;
    private readonly RootScorer _scorer;

    public RootScorerTests()
    {
        var config = RootConfigLoader.Parse($$"""
            {
              "schema": "arbor.root/v1",
              "feature_store": { "kind": "sqlite", "path": "unused.db" },
              "limits": { "default_deadline_ms": {{DefaultDeadlineMs}} },
              "partitions": { "p": { "endpoints": ["http://127.0.0.1:9"] } },
              "models": { "m": { "partition": "p" } },
              "surfaces": { "home": { "models": ["m"] } }
            }
            """);
        var preprocessor = new FeaturePreprocessor(new FeatureRegistry(FeatureRegistry.SchemaV1,
        [
            new("u_age", FeatureType.Float, FeatureEntity.User),
            new("c_ctr", FeatureType.Float, FeatureEntity.Candidate),
        ]));
        _cacheMetrics = new FeatureCacheMetrics(_meters);
        _rootMetrics = new RootMetrics(_meters);
        var cache = new FeatureCache(new PreprocessedFeatureSource(_store, preprocessor), new FeatureCacheOptions(), _time, _cacheMetrics);
        _trimmer = new FeatureTrimmer(Options.Create(new FeatureTrimmerOptions()), new TrimmerMetrics(_meters), NullLogger<FeatureTrimmer>.Instance, _time);
        _leaves = new LeafClientPool(_time);
        _scorer = new RootScorer(
            new RoutingState(RoutingTable.Build(config), _leaves),
            _trimmer,
            new RequestBatchAssembler(new RequestFeatureLoader(cache, preprocessor)),
            new FetchPlanner(preprocessor),
            new LeafFanOut(_leaves),
            _rootMetrics,
            _time);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _leaves.Dispose();
        _trimmer.Dispose();
        _rootMetrics.Dispose();
        _cacheMetrics.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task Score_FeatureFetchOutlivesTheDeadline_FailsWithDeadlineExceededAtTheDeadline()
    {
        _store.CloseGate();

        var scoring = _scorer.ScoreAsync(Request(), _time.GetUtcNow() + TimeSpan.FromSeconds(1), Ct);
        await _store.WaitForReadAsync();
        _time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        Assert.False(scoring.IsCompleted);
        _time.Advance(TimeSpan.FromTicks(1));

        var error = await Assert.ThrowsAsync<RpcException>(() => scoring);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("fetching features", error.Status.Detail, StringComparison.Ordinal);

        // Nobody waits for the store reads any more: they are cancelled.
        await Eventually.WaitUntilAsync(() => _store.Reads.All(r => r.Token.IsCancellationRequested), "the store reads are cancelled", TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task Score_WithoutADeadline_TheDefaultDeadlineBoundsTheFetch()
    {
        _store.CloseGate();

        var scoring = _scorer.ScoreAsync(Request(), deadline: null, Ct);
        await _store.WaitForReadAsync();
        _time.Advance(TimeSpan.FromMilliseconds(DefaultDeadlineMs));

        Assert.Equal(StatusCode.DeadlineExceeded, (await Assert.ThrowsAsync<RpcException>(() => scoring)).StatusCode);
    }

    [Fact]
    public async Task Score_DeadlineAlreadyPassed_FailsWithoutAskingTheStore()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _scorer.ScoreAsync(Request(), _time.GetUtcNow() - TimeSpan.FromMilliseconds(1), Ct));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Empty(_store.Reads);
    }

    [Fact]
    public async Task Score_CallerCancelsDuringTheFetch_IsCancelledNotDeadlineExceeded()
    {
        _store.CloseGate();
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var scoring = _scorer.ScoreAsync(Request(), _time.GetUtcNow() + TimeSpan.FromSeconds(1), caller.Token);
        await _store.WaitForReadAsync();
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scoring);
    }

    [Fact]
    public async Task Score_StoreDownForEntitiesNeverCached_FailsWithUnavailable()
    {
        _store.Failure = new IOException("connection refused");

        var error = await Assert.ThrowsAsync<RpcException>(() => _scorer.ScoreAsync(Request(), _time.GetUtcNow() + TimeSpan.FromSeconds(1), Ct));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal($"feature store unavailable (correlation id {RootOutcomes.CorrelationOf(error)})", error.Status.Detail);
        // The store's own error is for the log, not for the client.
        Assert.DoesNotContain("connection refused", error.Status.Detail, StringComparison.Ordinal);
    }

    private static ScoreRequest Request()
    {
        var request = new ScoreRequest { Surface = "home", UserId = "u1", RequestId = "r1" };
        request.Candidates.Add(new Candidate { Id = "c1" });
        request.Candidates.Add(new Candidate { Id = "c2" });
        return request;
    }
}
