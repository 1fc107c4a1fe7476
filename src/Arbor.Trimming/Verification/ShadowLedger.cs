using System.Collections.Concurrent;

namespace Arbor.Trimming.Verification;

/// <summary>
/// Shadow verification's tallies per model version, read by the admin view. Written once per sampled
/// call (a small fraction of trimmed calls); bounded so that a flood of distinct versions cannot grow
/// it without limit.
/// </summary>
internal sealed class ShadowLedger
{
    /// <summary>Distinct model versions kept; later ones are counted in metrics only.</summary>
    public const int Capacity = 1024;

    private readonly ConcurrentDictionary<(string Model, string Version), Entry> _entries = new();

    /// <summary>Records one sample's outcome.</summary>
    /// <param name="maxAbsDiff">The largest |trimmed − untrimmed| score of a mismatch.</param>
    /// <param name="requestId">The sampled request's id (kept for a mismatch).</param>
    public void Record(string model, string version, ShadowOutcome outcome, double maxAbsDiff, string? requestId, DateTimeOffset now)
    {
        var key = (model, version);
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= Capacity)
            {
                return;
            }

            entry = _entries.GetOrAdd(key, static _ => new Entry());
        }

        lock (entry)
        {
            switch (outcome)
            {
                case ShadowOutcome.Match:
                    entry.Matches++;
                    break;
                case ShadowOutcome.Mismatch:
                    entry.Mismatches++;
                    entry.LastMismatchRequestId = requestId ?? "";
                    entry.LastMismatchAt = now;
                    entry.MaxAbsDiff = Math.Max(entry.MaxAbsDiff, double.IsNaN(maxAbsDiff) ? double.PositiveInfinity : maxAbsDiff);
                    break;
                case ShadowOutcome.Failed:
                    entry.Failed++;
                    break;
                default:
                    entry.Dropped++;
                    break;
            }
        }
    }

    /// <summary>Every model version sampled, by model then version.</summary>
    public IReadOnlyList<ShadowStatus> Describe()
    {
        var list = new List<ShadowStatus>(_entries.Count);
        foreach (var ((model, version), entry) in _entries)
        {
            lock (entry)
            {
                list.Add(new ShadowStatus(
                    model, version, entry.Matches + entry.Mismatches + entry.Failed, entry.Matches, entry.Mismatches, entry.Failed, entry.Dropped,
                    entry.LastMismatchRequestId, entry.LastMismatchAt, entry.MaxAbsDiff));
            }
        }

        list.Sort(static (a, b) =>
        {
            var byModel = string.CompareOrdinal(a.Model, b.Model);
            return byModel != 0 ? byModel : string.CompareOrdinal(a.Version, b.Version);
        });
        return list;
    }

    private sealed class Entry
    {
        public long Matches;
        public long Mismatches;
        public long Failed;
        public long Dropped;
        public string? LastMismatchRequestId;
        public DateTimeOffset? LastMismatchAt;
        public double MaxAbsDiff;
    }
}
