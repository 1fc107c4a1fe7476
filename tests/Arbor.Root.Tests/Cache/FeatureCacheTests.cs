using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Testing;
using Xunit;

namespace Arbor.Root.Tests.Cache;

public sealed class FeatureCacheTests : IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    private static readonly FeatureProjection Ab = FeatureProjection.Of("a", "b");

    private readonly FakeFeatureSource _store = new();
    private readonly ManualTimeProvider _time = new();
    private readonly TestMeterFactory _meters = new();
    private readonly FeatureCacheMetrics _metrics;

    public FeatureCacheTests()
    {
        _metrics = new FeatureCacheMetrics(_meters);
        for (var i = 0; i < 10; i++)
        {
            _store.Set(EntityKind.Candidate, $"c{i}", "a", TypedValue.FromInt64(i));
            _store.Set(EntityKind.Candidate, $"c{i}", "b", TypedValue.FromFloat(i / 2f));
            _store.Set(EntityKind.Candidate, $"c{i}", "c", TypedValue.FromString($"s{i}"));
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _metrics.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task Read_Twice_SecondIsServedFromMemory()
    {
        var cache = CreateCache();
        using var hits = Collector("arbor.feature_cache.hits");
        using var misses = Collector("arbor.feature_cache.misses");

        var first = await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct);
        var second = await cache.ReadAsync(EntityKind.Candidate, ["c2", "c1"], Ab, Ct);

        Assert.Single(_store.Reads);
        Assert.Equal(1, first[0, 0].AsInt64());
        Assert.Equal(1f, second[0, 1].AsFloat());
        Assert.Equal(1, second[1, 0].AsInt64());
        Assert.Equal(2, Sum(hits));
        Assert.Equal(2, Sum(misses));
    }

    [Fact]
    public async Task Read_RowsGivenBack_ALaterReadHoldsOnlyItsOwnRows()
    {
        var cache = CreateCache();
        var first = await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2", "c3"], Ab, Ct);
        Assert.Equal(3, first.RowCount);
        Assert.Equal(3, first[2, 0].AsInt64());
        first.ReturnRows();
        first.ReturnRows();

        // The first row is unknown to the store: it must read as no value, not as a row of the first table.
        var second = await cache.ReadAsync(EntityKind.Candidate, ["unknown", "c2"], Ab, Ct);

        Assert.Throws<IndexOutOfRangeException>(() => first[0, 0]);
        Assert.Equal(2, second.RowCount);
        Assert.False(second[0, 0].HasValue);
        Assert.Equal(2, second[1, 0].AsInt64());
        Assert.Throws<ArgumentOutOfRangeException>(() => second[2, 0]);
    }

    [Fact]
    public async Task Read_AfterTimeToLive_ReadsTheStoreAgain()
    {
        var cache = CreateCache();
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        _time.Advance(Ttl - TimeSpan.FromSeconds(1));
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        Assert.Single(_store.Reads);

        _store.Set(EntityKind.Candidate, "c1", "a", TypedValue.FromInt64(100));
        _time.Advance(TimeSpan.FromSeconds(1));
        var table = await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);

        Assert.Equal(2, _store.Reads.Count);
        Assert.Equal(100, table[0, 0].AsInt64());
    }

    [Fact]
    public async Task Read_BatchWithSomeCached_FetchesOnlyTheMissesInOneRead()
    {
        var cache = CreateCache();
        await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct);

        var table = await cache.ReadAsync(EntityKind.Candidate, ["c1", "c3", "c2", "c4", "c3"], Ab, Ct);

        Assert.Equal(2, _store.Reads.Count);
        Assert.Equal(["c3", "c4"], _store.Reads[1].Ids);
        Assert.Equal([1L, 3L, 2L, 4L, 3L], Enumerable.Range(0, 5).Select(r => table[r, 0].AsInt64()));
    }

    [Fact]
    public async Task Read_EveryRowsPackedFloats_AgreeWithItsValues_OnAMissAHitAndAfterTheEntryGrew()
    {
        var cache = CreateCache();
        var miss = await cache.ReadAsync(EntityKind.Candidate, ["c1", "unknown", "c3", "c1"], FeatureProjection.Of("b"), Ct);
        var hit = await cache.ReadAsync(EntityKind.Candidate, ["c3", "c1"], FeatureProjection.Of("b"), Ct);
        var grown = await cache.ReadAsync(EntityKind.Candidate, ["c1", "c4"], FeatureProjection.Of("a", "b", "c"), Ct);

        foreach (var table in new[] { miss, hit, grown })
        {
            for (var row = 0; row < table.RowCount; row++)
            {
                var values = table.RowValues(row);
                var floats = table.FloatRowValues(row);
                Assert.Equal(values is not null && values.Any(v => v.Kind == FeatureType.Float), floats is not null);
                for (var column = 0; column < table.ColumnCount && floats is not null; column++)
                {
                    var value = table[row, column];
                    var found = FloatRow.Read(floats, table.SlotOf(column), out var packed);
                    Assert.Equal(value.Kind == FeatureType.Float, found == FloatRow.Slot.Float);
                    if (value.Kind == FeatureType.Float)
                    {
                        Assert.Equal(value.AsFloat(), packed);
                    }
                    else if (value.HasValue)
                    {
                        Assert.Equal(FloatRow.Slot.Other, found);
                    }
                }
            }
        }

        Assert.Equal(FloatRow.Slot.Float, FloatRow.Read(grown.FloatRowValues(0)!, grown.SlotOf(1), out var c1b));
        Assert.Equal(0.5f, c1b);
        Assert.Null(miss.FloatRowValues(1));
    }

    [Fact]
    public async Task Read_MoreFeaturesOfACachedEntity_FetchesOnlyTheMissingFeatures()
    {
        var cache = CreateCache();
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct);

        var table = await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("c", "a", "b"), Ct);
        var again = await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("b", "c"), Ct);

        Assert.Equal(2, _store.Reads.Count);
        Assert.Equal(["b", "c"], _store.Reads[1].Features.Order(StringComparer.Ordinal));
        Assert.Equal("s1", table[0, 0].AsString());
        Assert.Equal(1, table[0, 1].AsInt64());
        Assert.Equal(0.5f, table[0, 2].AsFloat());
        Assert.Equal(0.5f, again[0, 0].AsFloat());
    }

    [Fact]
    public async Task Read_EntityTheStoreLacks_IsCachedAsAbsent()
    {
        var cache = CreateCache();

        var first = await cache.ReadAsync(EntityKind.User, ["ghost"], Ab, Ct);
        var second = await cache.ReadAsync(EntityKind.User, ["ghost"], Ab, Ct);

        Assert.Single(_store.Reads);
        Assert.False(first[0, 0].HasValue);
        Assert.False(second[0, 1].HasValue);
    }

    [Fact]
    public async Task Read_ConcurrentMissesForTheSameEntities_AreCoalescedIntoOneStoreRead()
    {
        var cache = CreateCache();
        using var coalesced = Collector("arbor.feature_cache.coalesced");
        _store.CloseGate();

        var first = cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct).AsTask();
        await _store.WaitForReadAsync();
        var second = cache.ReadAsync(EntityKind.Candidate, ["c2", "c1"], Ab, Ct).AsTask();
        var third = cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct).AsTask();
        Assert.False(second.IsCompleted);
        _store.OpenGate();
        var tables = await Task.WhenAll(first, second, third);

        Assert.Single(_store.Reads);
        Assert.Equal(3, Sum(coalesced));
        Assert.Equal(2, tables[1][0, 0].AsInt64());
        Assert.Equal(1, tables[2][0, 0].AsInt64());
    }

    [Fact]
    public async Task Read_ConcurrentMissNeedingOtherFeatures_DoesNotJoinAndGetsThem()
    {
        var cache = CreateCache();
        _store.CloseGate();

        var first = cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct).AsTask();
        await _store.WaitForReadAsync();
        var second = cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("c"), Ct).AsTask();
        await _store.WaitForReadAsync();
        _store.OpenGate();
        var tables = await Task.WhenAll(first, second);

        Assert.Equal(2, _store.Reads.Count);
        Assert.Equal("s1", tables[1][0, 0].AsString());
    }

    [Fact]
    public async Task Read_CallerThatStartedTheReadIsCancelled_JoinedCallerStillGetsValues()
    {
        var cache = CreateCache();
        _store.CloseGate();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var first = cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, cancel.Token).AsTask();
        await _store.WaitForReadAsync();
        var second = cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        _store.OpenGate();

        Assert.Equal(1, (await second)[0, 0].AsInt64());
        Assert.Single(_store.Reads);
    }

    [Fact]
    public async Task Read_CallersWaitingOnOneStoreRead_EachStopsAtItsOwnDeadline_TheReadGoesOnForTheRest()
    {
        var cache = CreateCache();
        _store.CloseGate();
        using var oneSecond = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);
        using var threeSeconds = new CancellationTokenSource(TimeSpan.FromSeconds(3), _time);

        var starter = cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, oneSecond.Token).AsTask();
        await _store.WaitForReadAsync();
        var joiner = cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, threeSeconds.Token).AsTask();
        var patient = cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct).AsTask();
        var storeToken = Assert.Single(_store.Reads).Token;

        _time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starter);
        Assert.False(joiner.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => joiner);
        Assert.False(patient.IsCompleted);
        Assert.False(storeToken.IsCancellationRequested);

        _store.OpenGate();
        Assert.Equal(1, (await patient)[0, 0].AsInt64());
        Assert.Single(_store.Reads);
    }

    [Fact]
    public async Task Read_EveryCallerGivesUp_CancelsTheStoreRead()
    {
        var cache = CreateCache();
        _store.CloseGate();
        using var oneSecond = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);
        using var twoSeconds = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);

        var first = cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, oneSecond.Token).AsTask();
        await _store.WaitForReadAsync();
        var second = cache.ReadAsync(EntityKind.Candidate, ["c2"], Ab, twoSeconds.Token).AsTask();
        var storeToken = Assert.Single(_store.Reads).Token;
        _time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.False(storeToken.IsCancellationRequested);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);

        await Eventually.WaitUntilAsync(() => storeToken.IsCancellationRequested, "the abandoned store read is cancelled", TimeSpan.FromSeconds(10), Ct);

        // The next request does not join the abandoned read: it reads again.
        _store.OpenGate();
        Assert.Equal(2, (await cache.ReadAsync(EntityKind.Candidate, ["c2"], Ab, Ct))[0, 0].AsInt64());
        Assert.Equal(2, _store.Reads.Count);
    }

    [Fact]
    public async Task Read_StoreHungAfterExpiry_ServesStaleCopiesAfterTheRefreshWait_ColdEntitiesWaitUntilTheirDeadline()
    {
        var refreshWait = TimeSpan.FromMilliseconds(200);
        var cache = CreateCache(refreshWait: refreshWait);
        using var stale = Collector("arbor.feature_cache.stale_served");
        var before = await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct);
        await _store.WaitForReadAsync(); // that read's arrival, so the waits below count the next ones
        _time.Advance(Ttl);
        _store.CloseGate();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);

        var warm = cache.ReadAsync(EntityKind.Candidate, ["c2", "c1"], Ab, deadline.Token).AsTask();
        await _store.WaitForReadAsync();
        var mixed = cache.ReadAsync(EntityKind.Candidate, ["c1", "c3"], Ab, deadline.Token).AsTask();
        await _store.WaitForReadAsync();
        _time.Advance(refreshWait);
        var table = await warm;

        Assert.Equal([before[1, 0], before[0, 0]], [table[0, 0], table[1, 0]]);
        Assert.Equal([before[1, 1], before[0, 1]], [table[0, 1], table[1, 1]]);
        Assert.False(mixed.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1) - refreshWait);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => mixed);
        Assert.Equal(3, Sum(stale));

        // Within the failure backoff the warm entities are served without asking the hung store.
        var reads = _store.Reads.Count;
        Assert.Equal(before[0, 0], (await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct))[0, 0]);
        Assert.Equal(reads, _store.Reads.Count);
        _store.OpenGate();
    }

    [Fact]
    public async Task Read_FeaturesKeptByARefresh_AreServedStaleOnlyWithinTheirOwnBound()
    {
        var cache = CreateCache(maxStaleness: TimeSpan.FromMinutes(10), failureBackoff: TimeSpan.Zero);
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        _time.Advance(Ttl + TimeSpan.FromMinutes(5));
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct);
        _store.Failure = new IOException("store down");

        // b was fetched TTL + 5 min ago: still within TTL + 10 min.
        Assert.Equal(0.5f, (await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct))[0, 1].AsFloat());

        // b is now past TTL + 10 min; a (refreshed 5 min later) is not.
        _time.Advance(TimeSpan.FromMinutes(5));
        await Assert.ThrowsAsync<FeatureStoreUnavailableException>(async () => await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct));
        Assert.Equal(1, (await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct))[0, 0].AsInt64());
    }

    [Fact]
    public async Task Read_StoreFailsAfterExpiry_ServesTheStaleEntryWithinTheBound()
    {
        var cache = CreateCache(maxStaleness: TimeSpan.FromMinutes(10), failureBackoff: TimeSpan.Zero);
        using var stale = Collector("arbor.feature_cache.stale_served");
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        _store.Failure = new IOException("store down");

        _time.Advance(Ttl + TimeSpan.FromMinutes(9));
        var table = await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        Assert.Equal(1, table[0, 0].AsInt64());
        Assert.Equal(1, Sum(stale));

        _time.Advance(TimeSpan.FromMinutes(1));
        var error = await Assert.ThrowsAsync<FeatureStoreUnavailableException>(async () => await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct));
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public async Task Read_StoreFailsForAnEntityNeverCached_Throws()
    {
        var cache = CreateCache();
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        _store.Failure = new IOException("store down");

        // c1 is still fresh (a hit); c2 has nothing to fall back on.
        await Assert.ThrowsAsync<FeatureStoreUnavailableException>(async () => await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct));
        Assert.Equal(1, (await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct))[0, 0].AsInt64());
    }

    [Fact]
    public async Task Read_StaleEntryLackingAFeature_IsNotServed()
    {
        var cache = CreateCache();
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct);
        _time.Advance(Ttl);
        _store.Failure = new IOException("store down");

        await Assert.ThrowsAsync<FeatureStoreUnavailableException>(async () => await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct));
    }

    [Fact]
    public async Task Read_RefreshOfSomeFeaturesAfterExpiry_KeepsTheOthersServableWhileTheStoreIsDown()
    {
        // A user scored with models [A, B] (features a and b), then, after the TTL, with [A] only
        // (a refresh of a alone); then the store goes down and the [A, B] form comes back.
        var cache = CreateCache(failureBackoff: TimeSpan.Zero);
        _store.Set(EntityKind.User, "u9", "a", TypedValue.FromFloat(0.25f));
        _store.Set(EntityKind.User, "u9", "b", TypedValue.FromFloatVector([1f, 2f]));
        var modelsAb = FeatureProjection.Of("a", "b");
        var modelA = FeatureProjection.Of("a");
        var before = await cache.ReadAsync(EntityKind.User, ["u9"], modelsAb, Ct);

        _time.Advance(Ttl);
        await cache.ReadAsync(EntityKind.User, ["u9"], modelA, Ct);
        Assert.Equal(["a"], _store.Reads[1].Features);
        _store.Failure = new IOException("store down");
        var after = await cache.ReadAsync(EntityKind.User, ["u9"], modelsAb, Ct);

        Assert.Equal(BitsOf(before[0, 0]), BitsOf(after[0, 0]));
        Assert.Equal(before[0, 1].AsFloatVector().ToArray(), after[0, 1].AsFloatVector().ToArray());
    }

    [Fact]
    public async Task Read_AfterAPartialRefresh_RefreshedFeaturesAreFreshAndOnlyExpiredOnesAreReadAgain()
    {
        var cache = CreateCache();
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a", "b", "c"), Ct);
        _time.Advance(Ttl);
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct);

        await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct);
        Assert.Equal(2, _store.Reads.Count);

        var table = await cache.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("c", "a"), Ct);
        Assert.Equal(3, _store.Reads.Count);
        Assert.Equal(["c"], _store.Reads[2].Features);
        Assert.Equal("s1", table[0, 0].AsString());
        Assert.Equal(1, table[0, 1].AsInt64());
    }

    [Fact]
    public async Task Read_WithinFailureBackoff_ServesStaleWithoutAskingTheStore()
    {
        var cache = CreateCache(failureBackoff: TimeSpan.FromSeconds(1));
        await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct);
        _time.Advance(Ttl);
        _store.Failure = new IOException("store down");
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        var readsAfterFailure = _store.Reads.Count;

        await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], Ab, Ct);
        Assert.Equal(readsAfterFailure, _store.Reads.Count);

        _time.Advance(TimeSpan.FromSeconds(1));
        _store.Failure = null;
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        Assert.Equal(readsAfterFailure + 1, _store.Reads.Count);
    }

    [Fact]
    public async Task Read_BeyondTheByteBound_EvictsEntriesNotRecentlyUsed()
    {
        var probe = CreateCache();
        await probe.ReadAsync(EntityKind.Candidate, ["c0"], Ab, Ct);
        var entryBytes = probe.SizeBytes;
        var cache = CreateCache(maxBytes: (entryBytes * 3) + (entryBytes / 2));
        using var evictions = Collector("arbor.feature_cache.evictions");

        await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2", "c3"], Ab, Ct);
        await cache.ReadAsync(EntityKind.Candidate, ["c1"], Ab, Ct);
        await cache.ReadAsync(EntityKind.Candidate, ["c4"], Ab, Ct);

        Assert.True(cache.SizeBytes <= (entryBytes * 3) + (entryBytes / 2), $"{cache.SizeBytes} bytes held");
        Assert.Equal(1, Sum(evictions));
        var reads = _store.Reads.Count;
        await cache.ReadAsync(EntityKind.Candidate, ["c1", "c4"], Ab, Ct);
        Assert.Equal(reads, _store.Reads.Count);
        await cache.ReadAsync(EntityKind.Candidate, ["c2"], Ab, Ct);
        Assert.Equal(reads + 1, _store.Reads.Count);
    }

    [Fact]
    public async Task Read_EntryLargerThanTheBound_IsStillReturned()
    {
        var cache = CreateCache(maxBytes: 1);

        var table = await cache.ReadAsync(EntityKind.Candidate, ["c5"], Ab, Ct);

        Assert.Equal(5, table[0, 0].AsInt64());
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task Read_AllFeatures_IsRefused()
    {
        var cache = CreateCache();

        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.ReadAsync(EntityKind.User, ["u"], FeatureProjection.All, Ct));
    }

    private static long Sum(CounterRecorder recorder) => recorder.Sum;

    private static int BitsOf(TypedValue value) => BitConverter.SingleToInt32Bits(value.AsFloat());

    private CounterRecorder Collector(string instrument) => new(_meters, FeatureCacheMetrics.MeterName, instrument);

    private FeatureCache CreateCache(long maxBytes = 1 << 20, TimeSpan? maxStaleness = null, TimeSpan? failureBackoff = null, TimeSpan? refreshWait = null) =>
        new(_store, new FeatureCacheOptions
        {
            MaxBytes = maxBytes,
            TimeToLive = Ttl,
            MaxStaleness = maxStaleness ?? TimeSpan.FromMinutes(30),
            FailureBackoff = failureBackoff ?? TimeSpan.FromSeconds(1),
            RefreshWait = refreshWait ?? TimeSpan.FromMilliseconds(200),
        }, _time, _metrics);
}
