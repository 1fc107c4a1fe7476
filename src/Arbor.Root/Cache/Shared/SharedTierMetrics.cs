using System.Diagnostics.Metrics;
using Arbor.FeatureStore.Sources;

namespace Arbor.Root.Cache.Shared;

/// <summary>The shared cache tier's instruments (meter <c>Arbor.Root.SharedTier</c>), tagged by <c>entity</c>.</summary>
public sealed class SharedTierMetrics : IDisposable
{
    public const string MeterName = "Arbor.Root.SharedTier";

    private static readonly KeyValuePair<string, object?> UserTag = new("entity", EntityKindNames.User);
    private static readonly KeyValuePair<string, object?> CandidateTag = new("entity", EntityKindNames.Candidate);

    private readonly Meter _meter;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _skipped;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _writesDropped;
    private readonly Histogram<double> _readDuration;

    /// <param name="meterFactory">Creates the meter (DI); null creates a standalone one.</param>
    public SharedTierMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _hits = _meter.CreateCounter<long>("arbor.shared_tier.hits", "{entity}", "Entities the process cache missed and the shared tier served.");
        _misses = _meter.CreateCounter<long>("arbor.shared_tier.misses", "{entity}", "Entities the shared tier did not hold (or held too old, or without every needed feature): read from the store.");
        _skipped = _meter.CreateCounter<long>("arbor.shared_tier.skipped", "{entity}", "Entities read from the store without asking the tier, in the back-off after a tier failure.");
        _errors = _meter.CreateCounter<long>("arbor.shared_tier.errors", "{operation}", "Tier reads and write-backs that failed or timed out (tag operation: read, write).");
        _writesDropped = _meter.CreateCounter<long>("arbor.shared_tier.writes_dropped", "{write}", "Write-backs not sent because too many were in flight.");
        _readDuration = _meter.CreateHistogram<double>("arbor.shared_tier.read.duration", "s", "Duration of batch reads of the tier.");

        // The failure counters exist from the start at zero, so alerts over them see "none yet".
        _errors.Add(0, new KeyValuePair<string, object?>("operation", "read"));
        _errors.Add(0, new KeyValuePair<string, object?>("operation", "write"));
        _writesDropped.Add(0);
    }

    internal void Hits(EntityKind kind, long count) => Add(_hits, kind, count);

    internal void Misses(EntityKind kind, long count) => Add(_misses, kind, count);

    internal void Skipped(EntityKind kind, long count) => Add(_skipped, kind, count);

    internal void ReadFailed() => _errors.Add(1, new KeyValuePair<string, object?>("operation", "read"));

    internal void WriteFailed() => _errors.Add(1, new KeyValuePair<string, object?>("operation", "write"));

    internal void WriteDropped() => _writesDropped.Add(1);

    internal void Read(EntityKind kind, TimeSpan duration) => _readDuration.Record(duration.TotalSeconds, Tag(kind));

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
