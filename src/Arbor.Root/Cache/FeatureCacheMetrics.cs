using System.Diagnostics;
using System.Diagnostics.Metrics;
using Arbor.FeatureStore.Sources;

namespace Arbor.Root.Cache;

/// <summary>The feature cache's instruments (meter <c>Arbor.Root.FeatureCache</c>), tagged by <c>entity</c>.</summary>
public sealed class FeatureCacheMetrics : IDisposable
{
    public const string MeterName = "Arbor.Root.FeatureCache";

    private static readonly KeyValuePair<string, object?> UserTag = new("entity", EntityKindNames.User);
    private static readonly KeyValuePair<string, object?> CandidateTag = new("entity", EntityKindNames.Candidate);

    private readonly Meter _meter;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _coalesced;
    private readonly Counter<long> _staleServed;
    private readonly Counter<long> _evictions;
    private readonly Counter<long> _storeReads;
    private readonly Counter<long> _storeErrors;
    private readonly Histogram<double> _storeReadDuration;

    /// <param name="meterFactory">Creates the meter (DI); null creates a standalone one.</param>
    /// <param name="meterName">The meter's name: another one keeps these counts out of the exported metrics (the warm-up's).</param>
    public FeatureCacheMetrics(IMeterFactory? meterFactory = null, string meterName = MeterName)
    {
        _meter = meterFactory?.Create(meterName) ?? new Meter(meterName);
        _hits = _meter.CreateCounter<long>("arbor.feature_cache.hits", "{entity}", "Entities served from the cache.");
        _misses = _meter.CreateCounter<long>("arbor.feature_cache.misses", "{entity}", "Entities (or missing features of them) read from the store.");
        _coalesced = _meter.CreateCounter<long>("arbor.feature_cache.coalesced", "{entity}", "Misses that joined a store read already in flight.");
        _staleServed = _meter.CreateCounter<long>("arbor.feature_cache.stale_served", "{entity}", "Expired entities served because the store failed.");
        _evictions = _meter.CreateCounter<long>("arbor.feature_cache.evictions", "{entity}", "Entries evicted to stay within the byte bound.");
        _storeReads = _meter.CreateCounter<long>("arbor.feature_cache.store_reads", "{read}", "Batch reads sent to the store.");
        _storeErrors = _meter.CreateCounter<long>("arbor.feature_cache.store_errors", "{read}", "Batch reads the store failed.");
        _storeReadDuration = _meter.CreateHistogram<double>("arbor.feature_cache.store_read.duration", "s", "Duration of batch reads sent to the store.");

        // The failure counters exist from the start at zero, so that alerts and dashboards over them
        // see "none yet" rather than no series at all.
        foreach (var tag in new[] { UserTag, CandidateTag })
        {
            _staleServed.Add(0, tag);
            _storeErrors.Add(0, tag);
        }
    }

    internal void Hits(EntityKind kind, long count) => Add(_hits, kind, count);

    internal void Misses(EntityKind kind, long count) => Add(_misses, kind, count);

    internal void Coalesced(EntityKind kind, long count) => Add(_coalesced, kind, count);

    internal void StaleServed(EntityKind kind, long count) => Add(_staleServed, kind, count);

    internal void Evicted(EntityKind kind) => _evictions.Add(1, Tag(kind));

    internal void StoreRead(EntityKind kind, TimeSpan duration, bool failed)
    {
        _storeReads.Add(1, Tag(kind));
        _storeReadDuration.Record(duration.TotalSeconds, Tag(kind));
        if (failed)
        {
            _storeErrors.Add(1, Tag(kind));
        }
    }

    /// <summary>Publishes the cache's size as observable gauges.</summary>
    internal void ObserveSize(Func<long> bytes, Func<long> entries)
    {
        _meter.CreateObservableGauge("arbor.feature_cache.size", bytes, "By", "Approximate memory held by cache entries.");
        _meter.CreateObservableGauge("arbor.feature_cache.entries", entries, "{entity}", "Entities in the cache.");
    }

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Tag(EntityKind kind) => kind == EntityKind.User ? UserTag : CandidateTag;

    private static void Add(Counter<long> counter, EntityKind kind, long count)
    {
        if (count > 0)
        {
            counter.Add(count, Tag(kind));
        }
    }
}
