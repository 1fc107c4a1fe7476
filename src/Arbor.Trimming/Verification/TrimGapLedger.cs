using System.Collections.Concurrent;

namespace Arbor.Trimming.Verification;

/// <summary>
/// Every allowlist a leaf has refused, keyed by model, allowlist version and hash. Written only when
/// a leaf refuses a call (rare), read by the admin view; bounded so that a flood of distinct keys
/// cannot grow it without limit.
/// </summary>
internal sealed class TrimGapLedger
{
    /// <summary>Distinct allowlists kept; later ones are counted in metrics and logs only.</summary>
    public const int Capacity = 1024;

    private readonly ConcurrentDictionary<(string Model, string Version, string Sha256), Entry> _entries = new();

    /// <summary>Records a refusal; true when this allowlist had never been refused before (log it).</summary>
    /// <param name="viaLatest">The refused call asked for no version (or an unknown one) and got the latest allowlist.</param>
    public bool Record(string model, string version, string sha256, bool viaLatest, string detail, DateTimeOffset now)
    {
        var key = (model, version, sha256);
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= Capacity)
            {
                return false;
            }

            entry = _entries.GetOrAdd(key, _ => new Entry(now));
        }

        lock (entry)
        {
            var first = entry.Refusals == 0;
            entry.Refusals++;
            entry.LastSeen = now;
            entry.LastDetail = detail;
            entry.ViaLatest |= viaLatest;
            entry.ViaVersion |= !viaLatest;
            return first;
        }
    }

    /// <summary>Whether a leaf has refused this allowlist (the model version it reached needs a feature it drops).</summary>
    public bool Contains(string model, string version, string sha256) => _entries.ContainsKey((model, version, sha256));

    /// <summary>
    /// Every refused allowlist, marked stale when it was refused after <paramref name="snapshot"/> was
    /// built and that snapshot still hands it out the way it was refused (as the model's latest, or
    /// for its version): a call that took the previous snapshot and was refused after the swap does
    /// not make an allowlist no longer in force stale.
    /// </summary>
    public IReadOnlyList<TrimGapStatus> Describe(Snapshots.AllowlistSnapshot snapshot)
    {
        var list = new List<TrimGapStatus>(_entries.Count);
        foreach (var ((model, version, sha256), entry) in _entries)
        {
            lock (entry)
            {
                var inForce = (entry.ViaLatest && SameAllowlist(snapshot.Lookup(model, null), sha256))
                    || (entry.ViaVersion && SameAllowlist(snapshot.Lookup(model, version), sha256));
                list.Add(new TrimGapStatus(model, version, sha256, entry.Refusals, entry.FirstSeen, entry.LastSeen, entry.LastDetail, inForce && entry.LastSeen >= snapshot.BuiltAt));
            }
        }

        list.Sort(static (a, b) =>
        {
            var byModel = string.CompareOrdinal(a.Model, b.Model);
            return byModel != 0 ? byModel : string.CompareOrdinal(a.AllowlistVersion, b.AllowlistVersion);
        });
        return list;
    }

    private static bool SameAllowlist(in Features.Selection.TrimDecision decision, string sha256) =>
        string.Equals(decision.Allowlist?.Sha256, sha256, StringComparison.Ordinal);

    private sealed class Entry(DateTimeOffset firstSeen)
    {
        public DateTimeOffset FirstSeen { get; } = firstSeen;

        public long Refusals { get; set; }

        public DateTimeOffset LastSeen { get; set; }

        public string LastDetail { get; set; } = "";

        public bool ViaLatest { get; set; }

        public bool ViaVersion { get; set; }
    }
}
