using System.Buffers;
using System.Collections.Concurrent;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Root.Cache;

/// <summary>
/// The root's one shared in-memory feature cache, in front of the feature store.
/// </summary>
/// <remarks>
/// <para>Key: (entity kind, id). Value: every feature fetched so far for that entity, in an array
/// indexed by catalog slot, so a request needing features the entry lacks fetches only those and
/// the entry grows. A hit costs a dictionary lookup and one reference per entity: no copy.</para>
/// <para>Misses of one request go to the store as one batch read per entity kind. A miss for an
/// entity whose read is already in flight (with the features needed) joins that read instead of
/// starting another. Store reads run detached from every caller: each caller stops waiting when its
/// own token fires (the request's deadline or cancellation) without failing the read for the others,
/// and a read is cancelled only once no caller waits for it any more.</para>
/// <para>Bounded by approximate bytes with CLOCK (second-chance) eviction; entries expire after
/// <see cref="FeatureCacheOptions.TimeToLive"/>. Stale-while-error: when a store read fails, or takes
/// longer than <see cref="FeatureCacheOptions.RefreshWait"/>, an entity whose needed features are all
/// held by fetches younger than TTL + <see cref="FeatureCacheOptions.MaxStaleness"/> is served from
/// them; entities without such a copy fail the read with <see cref="FeatureStoreUnavailableException"/>.
/// A refresh keeps the features it did not fetch again (with their own fetch time), so they stay
/// servable stale. For <see cref="FeatureCacheOptions.FailureBackoff"/> after a failure such entries
/// are served stale without asking the store.</para>
/// </remarks>
public sealed class FeatureCache : IFeatureSource
{
    private const long NeverFailed = long.MinValue;

    private readonly IFeatureSource _store;
    private readonly FeatureCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly FeatureCacheMetrics _metrics;
    private readonly ILogger _logger;
    private readonly FeatureCatalog _catalog = new();
    private readonly ConcurrentDictionary<CacheKey, CacheSlot> _entries = new(CacheKeyComparer.Instance);
    private readonly ConcurrentDictionary<CacheKey, CacheSlot>.AlternateLookup<CacheKeyChars> _byChars;
    private readonly ConcurrentDictionary<CacheKey, InFlightRead> _inFlight = new();
    private readonly ConcurrentQueue<CacheSlot> _clock = new();
    private readonly Lock _evictionGate = new();
    private long _bytes;
    private long _failedAt = NeverFailed;

    public FeatureCache(IFeatureSource store, FeatureCacheOptions options, TimeProvider timeProvider, FeatureCacheMetrics metrics, ILogger<FeatureCache>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(metrics);
        options.Validate();
        _store = store;
        _options = options;
        _time = timeProvider;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _byChars = _entries.GetAlternateLookup<CacheKeyChars>();
        metrics.ObserveSize(() => Interlocked.Read(ref _bytes), () => _entries.Count);
    }

    /// <summary>Approximate memory held by the entries.</summary>
    public long SizeBytes => Interlocked.Read(ref _bytes);

    public int Count => _entries.Count;

    /// <summary>The slot of the entity <paramref name="id"/> names, looked up by its characters (no string made); null when none.</summary>
    internal CacheSlot? Find(EntityKind kind, ReadOnlySpan<char> id) =>
        _byChars.TryGetValue(new CacheKeyChars(kind, id), out var slot) ? slot : null;

    /// <summary>
    /// The cached entities, at most <paramref name="limit"/>: those read since the eviction hand last
    /// passed them first, then the rest (what <see cref="CachePreload"/> reads back into a fresh root).
    /// </summary>
    public IReadOnlyList<(EntityKind Kind, string Id)> Entities(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var entities = new List<(EntityKind, string)>(Math.Min(limit, _entries.Count));
        foreach (var referenced in (ReadOnlySpan<int>)[1, 0])
        {
            foreach (var (key, slot) in _entries)
            {
                if (entities.Count >= limit)
                {
                    return entities;
                }

                if (slot.Referenced == referenced && slot.Entity is not null)
                {
                    entities.Add((key.Kind, key.Id));
                }
            }
        }

        return entities;
    }

    /// <summary>
    /// Reads <paramref name="features"/> (an explicit projection; not <see cref="FeatureProjection.All"/>)
    /// of <paramref name="ids"/>: hits from memory, misses with one store read.
    /// </summary>
    public ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken) =>
        ReadAsync(entity, ids, features, slots: null, cancellationToken);

    /// <summary>
    /// As <see cref="ReadAsync(EntityKind, IReadOnlyList{string}, FeatureProjection, CancellationToken)"/>,
    /// starting from the slots <paramref name="ids"/> were found in when they were made strings
    /// (<see cref="Scoring.ScoreQuery.ResolveIds"/>): a slot still in the cache that holds the id's very
    /// string is used as it is, any other id is looked up.
    /// </summary>
    internal ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CacheSlot?[]? slots, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(features);
        var projection = _catalog.Resolve(entity, features);
        var now = _time.GetTimestamp();
        // Rented: the request gives it back once its columns are built (FeatureTable.ReturnRows).
        var rows = new CacheRows(ArrayPool<TypedValue[]?>.Shared.Rent(ids.Count), ArrayPool<float[]?>.Shared.Rent(ids.Count));
        rows.Values.AsSpan(0, ids.Count).Clear();
        rows.Floats.AsSpan(0, ids.Count).Clear();
        List<int>? misses = null;
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            // A slot from the request's reading is its id's when it holds that very string (the pool may
            // have given the array to another request since), unless it has left the cache.
            var slot = slots?[i] is { Evicted: false } known && ReferenceEquals(known.Id, id) && known.Kind == entity ? known : null;
            if (slot is null && _entries.TryGetValue(new CacheKey(entity, id), out var found))
            {
                slot = found;
            }

            if (slot?.Entity is { } cached
                && IsFresh(cached, now)
                && FeatureMask.Covers(cached.Fetched, projection.Mask))
            {
                rows.Set(i, cached);
                if (slot.Referenced == 0)
                {
                    slot.Referenced = 1;
                }
            }
            else
            {
                (misses ??= []).Add(i);
            }
        }

        _metrics.Hits(entity, ids.Count - (misses?.Count ?? 0));
        var table = new FeatureTable(ids, projection.Names, rows.Values, projection.Slots, pooledRows: true, rows.Floats);
        return misses is null
            ? ValueTask.FromResult(table)
            : new ValueTask<FeatureTable>(FillMissesAsync(entity, ids, projection, rows, misses, table, cancellationToken));
    }

    private async Task<FeatureTable> FillMissesAsync(
        EntityKind kind, IReadOnlyList<string> ids, ResolvedProjection projection, CacheRows rows, List<int> misses, FeatureTable table, CancellationToken cancellationToken)
    {
        var rowsById = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var row in misses)
        {
            if (!rowsById.TryGetValue(ids[row], out var list))
            {
                rowsById[ids[row]] = list = [];
            }

            list.Add(row);
        }

        var remaining = await ServeAsync(kind, rowsById, projection, rows, mayJoin: true, cancellationToken).ConfigureAwait(false);
        if (remaining.Count > 0)
        {
            // Rare: a joined read finished without every feature this request needs (its entry had
            // expired meanwhile). Read those entities again, without joining.
            remaining = await ServeAsync(kind, remaining, projection, rows, mayJoin: false, cancellationToken).ConfigureAwait(false);
        }

        return remaining.Count == 0
            ? table
            : throw new InvalidOperationException("Feature cache could not assemble a read (entry evicted twice).");
    }

    /// <summary>Fills the rows of <paramref name="rowsById"/>; returns those a joined read did not cover.</summary>
    private async Task<Dictionary<string, List<int>>> ServeAsync(
        EntityKind kind, Dictionary<string, List<int>> rowsById, ResolvedProjection projection, CacheRows rows, bool mayJoin, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var failedAt = Interlocked.Read(ref _failedAt);
        var inBackoff = failedAt != NeverFailed
            && _options.FailureBackoff > TimeSpan.Zero
            && _time.GetElapsedTime(failedAt, started) < _options.FailureBackoff;
        var toFetch = new List<string>();
        var waits = new List<(InFlightRead Read, List<string> Ids)>();
        var fetchMask = Array.Empty<ulong>();
        var staleServed = 0;
        HashSet<string>? servable = null;
        foreach (var id in rowsById.Keys)
        {
            var key = new CacheKey(kind, id);
            var cached = _entries.TryGetValue(key, out var slot) ? slot.Entity : null;
            var canServeStale = cached is not null && CanServeStale(cached, projection, started);
            if (inBackoff && canServeStale)
            {
                Fill(rows, rowsById[id], cached!);
                staleServed++;
                continue;
            }

            if (canServeStale)
            {
                (servable ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
            }

            var fresh = cached is not null && IsFresh(cached, started) ? cached.Fetched : [];
            var needed = FeatureMask.Except(projection.Mask, fresh);
            if (mayJoin && _inFlight.TryGetValue(key, out var read) && FeatureMask.Covers(read.Mask, needed) && read.TryJoin())
            {
                waits.Add((read, [id]));
            }
            else
            {
                toFetch.Add(id);
                fetchMask = FeatureMask.Union(fetchMask, needed);
            }
        }

        _metrics.StaleServed(kind, staleServed);
        _metrics.Misses(kind, toFetch.Count);
        _metrics.Coalesced(kind, waits.Count);
        if (toFetch.Count > 0)
        {
            waits.Add((StartRead(kind, toFetch, fetchMask), toFetch));
        }

        var uncovered = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var failed = new List<string>();
        Exception? failure = null;
        for (var w = 0; w < waits.Count; w++)
        {
            var (read, ids) = waits[w];
            try
            {
                var waited = await AwaitReadAsync(kind, read, ids, servable, started, rowsById, projection, rows, cancellationToken).ConfigureAwait(false);
                if (waited is not { } fetched)
                {
                    continue;
                }

                foreach (var id in ids)
                {
                    if (rows.Values[rowsById[id][0]] is not null)
                    {
                        continue; // served stale while the read was slow
                    }

                    if (fetched.TryGetValue(id, out var entry))
                    {
                        FillIfCovered(rows, rowsById, id, entry, projection, uncovered);
                    }
                    else
                    {
                        uncovered[id] = rowsById[id];
                    }
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // This request stops waiting; the reads go on for the requests still waiting for them.
                for (var later = w + 1; later < waits.Count; later++)
                {
                    waits[later].Read.Leave();
                }

                cancellationToken.ThrowIfCancellationRequested();
                throw;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                failure ??= ex;
                foreach (var id in ids)
                {
                    if (rows.Values[rowsById[id][0]] is null)
                    {
                        failed.Add(id);
                    }
                }
            }
            finally
            {
                read.Leave();
            }
        }

        if (failed.Count > 0)
        {
            ServeStaleOrThrow(kind, failed, rowsById, projection, rows, failure!);
        }

        return uncovered;
    }

    /// <summary>
    /// Waits for <paramref name="read"/> until it completes or the caller's token fires. While some of
    /// <paramref name="ids"/> have a copy that may be served stale, waits at most
    /// <see cref="FeatureCacheOptions.RefreshWait"/> (counted from <paramref name="started"/>) and then
    /// serves those copies; returns null when no id is left to wait for.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, CachedEntity>?> AwaitReadAsync(
        EntityKind kind,
        InFlightRead read,
        List<string> ids,
        HashSet<string>? servable,
        long started,
        Dictionary<string, List<int>> rowsById,
        ResolvedProjection projection,
        CacheRows rows,
        CancellationToken cancellationToken)
    {
        if (servable is null || read.Result.IsCompleted || !ids.Exists(servable.Contains))
        {
            return await read.Result.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var left = _options.RefreshWait - _time.GetElapsedTime(started);
        try
        {
            return await read.Result.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            if (read.Result.IsCompleted)
            {
                return await read.Result.ConfigureAwait(false);
            }

            // The store is slower than a refresh may take: serve what may be served stale now, and
            // treat the store as failing for the backoff.
        }

        var now = _time.GetTimestamp();
        Interlocked.Exchange(ref _failedAt, now);
        var stale = 0;
        var waiting = 0;
        foreach (var id in ids)
        {
            if (servable.Contains(id)
                && _entries.TryGetValue(new CacheKey(kind, id), out var slot)
                && slot.Entity is { } cached
                && CanServeStale(cached, projection, now))
            {
                Fill(rows, rowsById[id], cached);
                stale++;
            }
            else
            {
                waiting++;
            }
        }

        _metrics.StaleServed(kind, stale);
        FeatureCacheLog.StoreReadSlow(_logger, ids.Count, kind.ToName(), _options.RefreshWait.TotalMilliseconds, stale);
        return waiting == 0 ? null : await read.Result.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void ServeStaleOrThrow(
        EntityKind kind, List<string> failed, Dictionary<string, List<int>> rowsById, ResolvedProjection projection, CacheRows rows, Exception failure)
    {
        var now = _time.GetTimestamp();
        var stale = 0;
        foreach (var id in failed)
        {
            if (_entries.TryGetValue(new CacheKey(kind, id), out var slot) && slot.Entity is { } cached && CanServeStale(cached, projection, now))
            {
                Fill(rows, rowsById[id], cached);
                stale++;
            }
        }

        _metrics.StaleServed(kind, stale);
        FeatureCacheLog.StoreReadFailed(_logger, failure, failed.Count, kind.ToName(), stale, failed.Count - stale);
        if (stale < failed.Count)
        {
            throw new FeatureStoreUnavailableException(
                $"The feature store failed and {failed.Count - stale} of {failed.Count} {kind.ToName()} entities have no cached copy to serve: {failure.Message}",
                failure);
        }
    }

    /// <summary>Starts a detached store read of <paramref name="ids"/>; the caller is its first waiter.</summary>
    private InFlightRead StartRead(EntityKind kind, List<string> ids, ulong[] mask)
    {
        var read = new InFlightRead(mask, new TaskCompletionSource<IReadOnlyDictionary<string, CachedEntity>>(TaskCreationOptions.RunContinuationsAsynchronously));
        var registered = new List<CacheKey>(ids.Count);
        foreach (var id in ids)
        {
            // Losing this race to another request only means that entity is read twice.
            var key = new CacheKey(kind, id);
            if (_inFlight.TryAdd(key, read))
            {
                registered.Add(key);
            }
        }

        // Off the caller's thread: a store that reads synchronously (SQLite) must not hold the caller
        // past its deadline.
        _ = Task.Run(() => ReadAndMergeAsync(kind, ids, mask, read, registered));
        return read;
    }

    private async Task ReadAndMergeAsync(EntityKind kind, List<string> ids, ulong[] mask, InFlightRead read, List<CacheKey> registered)
    {
        var completion = read.Completion;
        try
        {
            var slots = FeatureMask.Slots(mask).ToArray();
            var projection = FeatureProjection.Of(slots.Select(s => _catalog.NameOf(kind, s)));
            var started = _time.GetTimestamp();
            FeatureTable table;
            try
            {
                table = await _store.ReadAsync(kind, ids, projection, read.Abandoned).ConfigureAwait(false);
                _metrics.StoreRead(kind, _time.GetElapsedTime(started), failed: false);
            }
            catch (Exception ex)
            {
                var elapsed = _time.GetElapsedTime(started);
                _metrics.StoreRead(kind, elapsed, failed: true);
                Interlocked.Exchange(ref _failedAt, _time.GetTimestamp());
                if (read.Abandoned.IsCancellationRequested)
                {
                    FeatureCacheLog.StoreReadAbandoned(_logger, ids.Count, kind.ToName(), elapsed.TotalMilliseconds);
                }

                completion.SetException(ex);
                _ = completion.Task.Exception; // observed: callers that gave up must not raise UnobservedTaskException
                return;
            }

            var merged = new Dictionary<string, CachedEntity>(ids.Count, StringComparer.Ordinal);
            for (var row = 0; row < ids.Count; row++)
            {
                merged[ids[row]] = Merge(kind, ids[row], table, row, slots, mask, started);
            }

            // Within the byte bound before anyone sees the result.
            EvictIfOverBudget();
            completion.SetResult(merged);
        }
        catch (Exception ex)
        {
            completion.TrySetException(ex);
            _ = completion.Task.Exception;
        }
        finally
        {
            foreach (var key in registered)
            {
                _inFlight.TryRemove(new KeyValuePair<CacheKey, InFlightRead>(key, read));
            }
        }
    }

    private CachedEntity Merge(EntityKind kind, string id, FeatureTable table, int row, int[] slots, ulong[] mask, long fetchedAt)
    {
        var key = new CacheKey(kind, id);
        while (true)
        {
            var slot = _entries.GetOrAdd(key, static k => new CacheSlot(k.Kind, k.Id));
            lock (slot)
            {
                if (slot.Evicted)
                {
                    continue;
                }

                var old = slot.Entity;
                var now = _time.GetTimestamp();
                ulong[] current;
                long currentAt;
                FetchGeneration[] older;
                if (old is not null && IsFresh(old, now))
                {
                    // An extended entry keeps its oldest fetch time: it expires with its oldest values.
                    current = FeatureMask.Union(old.Fetched, mask);
                    currentAt = old.FetchedAt;
                    older = KeepServable(null, old.Older, mask, now);
                }
                else
                {
                    // A refresh starts a new generation; what the expired entry held and this read did
                    // not fetch again stays, servable stale, with its own fetch time.
                    current = mask;
                    currentAt = fetchedAt;
                    older = old is null ? [] : KeepServable(new FetchGeneration(old.Fetched, old.FetchedAt), old.Older, mask, now);
                }

                var length = slots.Length == 0 ? 0 : slots[^1] + 1;
                var values = new TypedValue[Math.Max(length, old?.Values.Length ?? 0)];
                if (old is not null)
                {
                    CopyKept(old.Values, values, current, older);
                }

                for (var column = 0; column < slots.Length; column++)
                {
                    values[slots[column]] = table[row, column];
                }

                var updated = new CachedEntity(values, current, currentAt, older, id);
                slot.Entity = updated;
                Interlocked.Add(ref _bytes, updated.SizeBytes - (old?.SizeBytes ?? 0));
                if (!slot.Enqueued)
                {
                    slot.Enqueued = true;
                    _clock.Enqueue(slot);
                }

                return updated;
            }
        }
    }

    /// <summary>
    /// The generations an entry keeps beside a fetch of <paramref name="refreshed"/>, newest first:
    /// each without the refreshed features, dropping those left empty or too old to be served stale.
    /// </summary>
    private FetchGeneration[] KeepServable(FetchGeneration? newest, FetchGeneration[] older, ulong[] refreshed, long now)
    {
        if (_options.MaxStaleness <= TimeSpan.Zero || (newest is null && older.Length == 0))
        {
            return [];
        }

        var limit = _options.TimeToLive + _options.MaxStaleness;
        var kept = new List<FetchGeneration>(older.Length + 1);
        if (newest is { } first)
        {
            Add(first);
        }

        foreach (var generation in older)
        {
            Add(generation);
        }

        return kept.Count == 0 ? [] : [.. kept];

        void Add(FetchGeneration generation)
        {
            if (_time.GetElapsedTime(generation.FetchedAt, now) < limit)
            {
                var rest = FeatureMask.Except(generation.Mask, refreshed);
                if (!FeatureMask.IsEmpty(rest))
                {
                    kept.Add(new FetchGeneration(rest, generation.FetchedAt));
                }
            }
        }
    }

    /// <summary>Copies the values of the slots a new entry keeps from the old one (the others are released).</summary>
    private static void CopyKept(TypedValue[] from, TypedValue[] to, ulong[] current, FetchGeneration[] older)
    {
        var kept = current;
        foreach (var generation in older)
        {
            kept = FeatureMask.Union(kept, generation.Mask);
        }

        for (var slot = 0; slot < from.Length; slot++)
        {
            if (IsSet(kept, slot))
            {
                to[slot] = from[slot];
            }
        }
    }

    private static bool IsSet(ulong[] mask, int slot) => (slot >> 6) < mask.Length && (mask[slot >> 6] & (1UL << (slot & 63))) != 0;

    private void EvictIfOverBudget()
    {
        if (Interlocked.Read(ref _bytes) <= _options.MaxBytes || !_evictionGate.TryEnter())
        {
            return;
        }

        try
        {
            // Each slot gets at most one second chance per pass, so the loop ends.
            var budget = (_clock.Count * 2) + 1;
            while (Interlocked.Read(ref _bytes) > _options.MaxBytes && budget-- > 0 && _clock.TryDequeue(out var slot))
            {
                if (Interlocked.Exchange(ref slot.Referenced, 0) == 1)
                {
                    _clock.Enqueue(slot);
                    continue;
                }

                lock (slot)
                {
                    slot.Evicted = true;
                    _entries.TryRemove(new KeyValuePair<CacheKey, CacheSlot>(new CacheKey(slot.Kind, slot.Id), slot));
                    Interlocked.Add(ref _bytes, -(slot.Entity?.SizeBytes ?? 0));
                    slot.Entity = null;
                }

                _metrics.Evicted(slot.Kind);
            }
        }
        finally
        {
            _evictionGate.Exit();
        }
    }

    // An entry merged after its older part expired may lack features this request needs.
    private static void FillIfCovered(
        CacheRows rows, Dictionary<string, List<int>> rowsById, string id, CachedEntity entity, ResolvedProjection projection, Dictionary<string, List<int>> uncovered)
    {
        if (FeatureMask.Covers(entity.Fetched, projection.Mask))
        {
            Fill(rows, rowsById[id], entity);
        }
        else
        {
            uncovered[id] = rowsById[id];
        }
    }

    private static void Fill(CacheRows rows, List<int> positions, CachedEntity entity)
    {
        foreach (var row in positions)
        {
            rows.Set(row, entity);
        }
    }

    private bool IsFresh(CachedEntity entity, long now) =>
        _time.GetElapsedTime(entity.FetchedAt, now) < _options.TimeToLive;

    /// <summary>
    /// True when every feature of <paramref name="projection"/> is held by a generation of the entry
    /// younger than TTL + <see cref="FeatureCacheOptions.MaxStaleness"/> (fresh ones included).
    /// </summary>
    private bool CanServeStale(CachedEntity entity, ResolvedProjection projection, long now)
    {
        if (_options.MaxStaleness <= TimeSpan.Zero)
        {
            return false;
        }

        var limit = _options.TimeToLive + _options.MaxStaleness;
        var latest = _time.GetElapsedTime(entity.FetchedAt, now) < limit;
        var required = projection.Mask;
        for (var word = 0; word < required.Length; word++)
        {
            var missing = required[word];
            if (latest && word < entity.Fetched.Length)
            {
                missing &= ~entity.Fetched[word];
            }

            // Newest first: once one generation is too old, so are the rest.
            foreach (var generation in entity.Older)
            {
                if (missing == 0 || _time.GetElapsedTime(generation.FetchedAt, now) >= limit)
                {
                    break;
                }

                missing &= word < generation.Mask.Length ? ~generation.Mask[word] : ulong.MaxValue;
            }

            if (missing != 0)
            {
                return false;
            }
        }

        return true;
    }
}
