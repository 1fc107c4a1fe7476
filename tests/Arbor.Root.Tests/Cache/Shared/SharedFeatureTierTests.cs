using System.Diagnostics;
using Arbor.Features.Values;
using Arbor.FeatureStore.Redis;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Root.Cache.Shared;
using Arbor.Root.Store;
using Arbor.Testing;

namespace Arbor.Root.Tests.Cache.Shared;

/// <summary>The shared tier over a real Redis, between in-process caches (each a root, in effect) and a store that counts its reads.</summary>
public sealed class SharedFeatureTierTests : IDisposable
{
    private static readonly FeatureProjection Ab = FeatureProjection.Of("a", "b");

    private readonly LocalRedisServer _redis = new();
    private readonly FakeFeatureSource _store = new();
    private readonly TestMeterFactory _meters = new();
    private readonly SharedTierMetrics _metrics;
    private readonly List<SharedFeatureTier> _tiers = [];

    public SharedFeatureTierTests()
    {
        _metrics = new SharedTierMetrics(_meters);
        for (var i = 0; i < 10; i++)
        {
            _store.Set(EntityKind.Candidate, $"c{i}", "a", TypedValue.FromInt64(i));
            _store.Set(EntityKind.Candidate, $"c{i}", "b", TypedValue.FromFloat(i / 2f));
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var tier in _tiers)
        {
            tier.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _metrics.Dispose();
        _meters.Dispose();
        _redis.Dispose();
    }

    [Fact]
    public async Task SecondRoot_FirstReadIsATierHit_StoreNotRead()
    {
        using var hits = Collector("arbor.shared_tier.hits");
        using var misses = Collector("arbor.shared_tier.misses");
        var (firstTier, first) = await RootAsync();
        var (_, second) = await RootAsync();

        var fromStore = await first.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct);
        await WrittenBackAsync(firstTier);
        var fromTier = await second.ReadAsync(EntityKind.Candidate, ["c2", "c1"], Ab, Ct);

        Assert.Single(_store.Reads);
        Assert.Equal(1, fromStore[0, 0].AsInt64());
        Assert.Equal(1, fromTier[1, 0].AsInt64());
        Assert.Equal(1f, fromTier[0, 1].AsFloat());
        Assert.Equal(2, misses.Sum);
        Assert.Equal(2, hits.Sum);
    }

    [Fact]
    public async Task RestartedRoot_WarmTier_ServesItsFirstRequestsWithoutStoreReads()
    {
        var (tier, root) = await RootAsync();
        await root.ReadAsync(EntityKind.Candidate, ["c1", "c2", "c3"], Ab, Ct);
        await WrittenBackAsync(tier);
        await tier.DisposeAsync();
        _tiers.Remove(tier);

        var (_, restarted) = await RootAsync();
        var first = await restarted.ReadAsync(EntityKind.Candidate, ["c3"], Ab, Ct);
        var second = await restarted.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct);

        Assert.Single(_store.Reads);
        Assert.Equal(3, first[0, 0].AsInt64());
        Assert.Equal(2, second[1, 0].AsInt64());
    }

    [Fact]
    public async Task EntryWithoutANeededFeature_StoreReadForThatFeatureOnly_AndMerged()
    {
        var (firstTier, first) = await RootAsync();
        var (secondTier, second) = await RootAsync();
        var (_, third) = await RootAsync();

        await first.ReadAsync(EntityKind.Candidate, ["c4"], FeatureProjection.Of("a"), Ct);
        await WrittenBackAsync(firstTier);
        var merged = await second.ReadAsync(EntityKind.Candidate, ["c4"], Ab, Ct);
        await WrittenBackAsync(secondTier);
        var fromTier = await third.ReadAsync(EntityKind.Candidate, ["c4"], Ab, Ct);

        Assert.Equal(2, _store.Reads.Count);
        Assert.Equal(["b"], _store.Reads[1].Features);
        Assert.Equal(4, merged[0, 0].AsInt64());
        Assert.Equal(2f, merged[0, 1].AsFloat());
        Assert.Equal(4, fromTier[0, 0].AsInt64());
        Assert.Equal(2f, fromTier[0, 1].AsFloat());
    }

    [Fact]
    public async Task EntryOlderThanTheTierTtl_IsNotServed()
    {
        var time = new ManualTimeProvider();
        var (firstTier, first) = await RootAsync(time);
        await first.ReadAsync(EntityKind.Candidate, ["c5"], Ab, Ct);
        await WrittenBackAsync(firstTier);
        var (_, fresh) = await RootAsync(time);
        await fresh.ReadAsync(EntityKind.Candidate, ["c5"], Ab, Ct);
        Assert.Single(_store.Reads);

        time.Advance(TimeSpan.FromMinutes(5));
        var (_, later) = await RootAsync(time);
        await later.ReadAsync(EntityKind.Candidate, ["c5"], Ab, Ct);

        Assert.Equal(2, _store.Reads.Count);
    }

    [Fact]
    public async Task RedisStopped_EveryRequestSucceedsFromTheStore_ErrorsCounted_ThenTheTierIsSkippedUntilItAnswers()
    {
        using var errors = Collector("arbor.shared_tier.errors");
        using var skipped = Collector("arbor.shared_tier.skipped");
        using var hits = Collector("arbor.shared_tier.hits");
        var (tier, root) = await RootAsync(backoff: TimeSpan.FromMilliseconds(200));
        await root.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        await WrittenBackAsync(tier);
        _redis.Stop();

        for (var i = 0; i < 5; i++)
        {
            var (_, other) = await RootAsync(backoff: TimeSpan.FromMilliseconds(200), connected: false);
            var table = await other.ReadAsync(EntityKind.Candidate, ["c1", $"c{i + 2}"], Ab, Ct);
            Assert.Equal(1, table[0, 0].AsInt64());
            Assert.Equal(i + 2, table[1, 0].AsInt64());
        }

        // The warm tier of the first root: its read fails once, then the back-off skips it.
        var cache = new FeatureCache(tier, new FeatureCacheOptions(), TimeProvider.System, new FeatureCacheMetrics(_meters));
        await cache.ReadAsync(EntityKind.Candidate, ["c7"], Ab, Ct);
        await cache.ReadAsync(EntityKind.Candidate, ["c8"], Ab, Ct);
        Assert.True(errors.Sum >= 1, "no tier error counted");
        Assert.True(skipped.Sum >= 1, "the tier was not skipped after failing");
        Assert.Equal(0, hits.Sum);

        _redis.Start();
        await Eventually.WaitUntilAsync(
            async () =>
            {
                var fresh = new FeatureCache(tier, new FeatureCacheOptions(), TimeProvider.System, new FeatureCacheMetrics(_meters));
                await fresh.ReadAsync(EntityKind.Candidate, ["c9"], Ab, Ct);
                return hits.Sum > 0;
            },
            "a tier hit after Redis came back",
            TimeSpan.FromSeconds(30),
            Ct);
    }

    [Fact]
    public async Task RedisPaused_RequestsGoToTheStoreAfterTheTierTimeout()
    {
        using var errors = Collector("arbor.shared_tier.errors");
        var (warmTier, warm) = await RootAsync();
        await warm.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        await WrittenBackAsync(warmTier);
        var (tier, _) = await RootAsync(timeout: TimeSpan.FromMilliseconds(100));
        TimeSpan elapsed;
        FeatureTable table;
        _redis.Pause();
        try
        {
            var cache = new FeatureCache(tier, new FeatureCacheOptions(), TimeProvider.System, new FeatureCacheMetrics(_meters));
            var watch = Stopwatch.StartNew();
            table = await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct);
            elapsed = watch.Elapsed;
        }
        finally
        {
            _redis.Resume();
        }

        Assert.Equal(1, table[0, 0].AsInt64());
        Assert.Equal(2, _store.Reads.Count);
        Assert.Equal(1, errors.Sum);

        // The tier timeout is 100 ms; the bound leaves room for a loaded machine, far below the client's own 5 s.
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"the read took {elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task RedisAsTheStore_Stopped_WarmEntitiesServedStale_ColdFailsAsUnavailable()
    {
        await using var store = new RedisFeatureStore(_redis.ConnectionString);
        await store.InitializeAsync(Ct);
        await using (var writer = await store.BeginWriteAsync(Ct))
        {
            await writer.WriteAsync([new EntityFeatures(EntityKind.User, "u1", [new("a", TypedValue.FromInt64(11))])], Ct);
            await writer.CommitAsync(Ct);
        }

        var time = new ManualTimeProvider();
        var cache = new FeatureCache(store, new FeatureCacheOptions { TimeToLive = TimeSpan.FromMinutes(1) }, time, new FeatureCacheMetrics(_meters));
        using var stale = new CounterRecorder(_meters, FeatureCacheMetrics.MeterName, "arbor.feature_cache.stale_served");
        await cache.ReadAsync(EntityKind.User, ["u1"], FeatureProjection.Of("a"), Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        _redis.Stop();

        for (var i = 0; i < 3; i++)
        {
            var warm = await cache.ReadAsync(EntityKind.User, ["u1"], FeatureProjection.Of("a"), Ct);
            Assert.Equal(11, warm[0, 0].AsInt64());
        }

        Assert.True(stale.Sum >= 3, $"stale served {stale.Sum}");
        await Assert.ThrowsAsync<FeatureStoreUnavailableException>(async () => await cache.ReadAsync(EntityKind.User, ["u_cold"], FeatureProjection.Of("a"), Ct));
    }

    // Generous by default: a tier read slower than this on a loaded machine (a cold first call) would
    // go to the store and fail the counts these tests assert; the timeout itself is tested with a short one.
    private async Task<(SharedFeatureTier Tier, FeatureCache Cache)> RootAsync(TimeProvider? time = null, TimeSpan? backoff = null, bool connected = true, TimeSpan? timeout = null)
    {
        var tier = new SharedFeatureTier(
            _store,
            new SharedTierOptions
            {
                Redis = _redis.ConnectionString,
                TimeToLive = TimeSpan.FromMinutes(5),
                FailureBackoff = backoff ?? TimeSpan.FromSeconds(5),
                Timeout = timeout ?? TimeSpan.FromSeconds(5),
            },
            time ?? TimeProvider.System,
            _metrics);
        _tiers.Add(tier);
        Assert.Equal(connected, await tier.ConnectAsync(TimeSpan.FromSeconds(10), Ct));
        return (tier, new FeatureCache(tier, new FeatureCacheOptions(), TimeProvider.System, new FeatureCacheMetrics(_meters)));
    }

    private static Task WrittenBackAsync(SharedFeatureTier tier) =>
        Eventually.WaitUntilAsync(() => tier.PendingWrites == 0, "the tier's write-backs", TimeSpan.FromSeconds(10), Ct);

    private CounterRecorder Collector(string instrument) => new(_meters, SharedTierMetrics.MeterName, instrument);
}
