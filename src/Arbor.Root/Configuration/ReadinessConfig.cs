namespace Arbor.Root.Configuration;

/// <summary>
/// How the root decides it is ready: the feature store and one replica of every routed partition
/// are checked every <see cref="CheckIntervalMs"/>, each check bounded by <see cref="CheckTimeoutMs"/>;
/// <see cref="DependencyOutage"/> says what an outage of either does once the root has been ready.
/// </summary>
public sealed record ReadinessConfig
{
    /// <summary>After the root has been ready once, a store or partition outage leaves it ready (degraded) while it can still score.</summary>
    public const string StayReady = "stay_ready";

    /// <summary>Any store or partition outage makes the root unready, for as long as it lasts.</summary>
    public const string NotReady = "not_ready";

    /// <summary>Time between two checks of the store and of every replica (a recovery shows within one interval).</summary>
    public int CheckIntervalMs { get; init; } = 1000;

    /// <summary>A check that has not answered within this is a failed one.</summary>
    public int CheckTimeoutMs { get; init; } = 2000;

    /// <summary>
    /// <see cref="StayReady"/> (default) or <see cref="NotReady"/>. Every root shares the store and the
    /// partitions, so an outage of one turns every root unready at once, and a Service that drops
    /// unready roots then fails every request, including those that stale cached features or the
    /// other partitions would have answered. With <see cref="StayReady"/> such an outage only marks
    /// the root degraded; it turns unready only when no routed partition has a ready replica (nothing
    /// could be scored). Start-up always waits for the store and every partition.
    /// </summary>
    public string DependencyOutage { get; init; } = StayReady;
}
