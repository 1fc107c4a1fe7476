using Arbor.Root.Configuration;
using Arbor.Root.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Root.Hosting;

/// <summary>
/// The root's readiness, behind both <c>/readyz</c> and <c>grpc.health.v1.Health</c>. It reads the
/// last checks of the feature store (<see cref="FeatureStoreReadiness"/>) and of every partition the
/// routing table sends a model to (<see cref="LeafReadiness"/>) and never waits on the network.
/// </summary>
/// <remarks>
/// <para>Start-up: not ready until the store has answered and every routed partition has had a ready
/// replica, all at the same check, and until the warm-up (<see cref="RootWarmup"/>) has ended, so
/// that the first client requests do not pay for the JIT.</para>
/// <para>Afterwards, with <see cref="ReadinessConfig.StayReady"/> (the default), an outage of the
/// store or of some partitions leaves the root ready but degraded: every root shares those, so
/// turning unready would only take every root out of its Service at once and fail the requests that
/// stale cached features and the other partitions still answer. The root turns unready again only
/// when no routed partition has a ready replica, i.e. when it could score nothing. With
/// <see cref="ReadinessConfig.NotReady"/> any outage makes it unready while it lasts.</para>
/// <para>A trimmer problem never takes a root out of rotation (it only means larger leaf requests),
/// so the trimmer is not part of it; liveness (<c>/healthz</c>) is separate and stays true.</para>
/// </remarks>
public sealed class RootReadinessCheck : IHealthCheck
{
    public const string Name = "root";

    private readonly FeatureStoreReadiness _store;
    private readonly LeafReadiness _leaves;
    private readonly RootWarmup _warmup;
    private readonly ReadinessConfig _config;
    private int _started;

    /// <summary>Follows every check of the store and the leaves from now on, so the start is seen even with no probe asking.</summary>
    public RootReadinessCheck(FeatureStoreReadiness store, LeafReadiness leaves, RootWarmup warmup, ReadinessConfig config)
    {
        _store = store;
        _leaves = leaves;
        _warmup = warmup;
        _config = config;
        store.Checked += Observe;
        leaves.Checked += Observe;
        Observe();
    }

    /// <summary>True once every dependency has been ready at one check.</summary>
    public bool Started => Volatile.Read(ref _started) == 1;

    /// <summary>What is wrong with the store and the routed partitions now (empty: nothing), in a few words each, no addresses.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var storeState = _store.Current;
        if (!storeState.Ready)
        {
            problems.Add($"feature store {storeState.Summary}");
        }

        foreach (var partition in _leaves.Partitions.Values)
        {
            if (!partition.State.Ready)
            {
                problems.Add($"partition {partition.Partition}: {partition.State.Summary}");
            }
        }

        return problems;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = Problems();
        if (_warmup.Current is { State: not WarmupState.Done } warming)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(string.Join("; ", [warming.Summary, .. problems])));
        }

        if (problems.Count == 0)
        {
            Volatile.Write(ref _started, 1);
            return Task.FromResult(HealthCheckResult.Healthy($"feature store answers; {_leaves.Partitions.Count} partitions ready"));
        }

        var detail = string.Join("; ", problems);
        if (!Started || _config.DependencyOutage == ReadinessConfig.NotReady)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(detail));
        }

        var partitions = _leaves.Partitions.Values;
        return Task.FromResult(partitions.Length > 0 && partitions.All(p => !p.State.Ready)
            ? HealthCheckResult.Unhealthy($"no routed partition has a ready replica; {detail}")
            : HealthCheckResult.Healthy($"serving, degraded: {detail}"));
    }

    private void Observe()
    {
        if (!Started && Problems().Count == 0)
        {
            Volatile.Write(ref _started, 1);
        }
    }
}
