namespace Arbor.Root.Configuration;

/// <summary>
/// How the root decides it is ready: the feature store and one replica of every routed partition
/// are checked every <see cref="CheckIntervalMs"/>, each check bounded by <see cref="CheckTimeoutMs"/>.
/// </summary>
public sealed record ReadinessConfig
{
    /// <summary>Time between two checks of the store and of every replica (a recovery shows within one interval).</summary>
    public int CheckIntervalMs { get; init; } = 1000;

    /// <summary>A check that has not answered within this is a failed one.</summary>
    public int CheckTimeoutMs { get; init; } = 2000;
}
