namespace Arbor.Release.Verification;

/// <summary>A root's cumulative counters (from <c>GET /admin/stats</c>); rates come from two snapshots.</summary>
public sealed record RootStats(
    long Requests,
    long Errors,
    long Candidates,
    double P50Ms,
    double P99Ms,
    long LeafBytesSent,
    long UntrimmedCalls,
    long TrimmedCalls,
    long ModelResults = 0,
    long ModelErrors = 0,
    IReadOnlyDictionary<string, RootModelStats>? Models = null)
{
    /// <summary>Shadow verification per model (summed over its versions), from <c>/admin/trimmer</c>; empty from roots that do not report it.</summary>
    public IReadOnlyDictionary<string, RootShadowStats> Shadow { get; init; } = new Dictionary<string, RootShadowStats>();
}
