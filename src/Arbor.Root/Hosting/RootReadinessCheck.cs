using Arbor.Root.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Root.Hosting;

/// <summary>
/// The root's readiness, behind both <c>/readyz</c> and <c>grpc.health.v1.Health</c>: ready when
/// the feature store answers (<see cref="FeatureStoreReadiness"/>) and every partition the routing
/// table sends a model to has a ready replica (<see cref="LeafReadiness"/>). It reads their last
/// checks and never waits on the network. A fresh root is also not ready until its warm-up
/// (<see cref="RootWarmup"/>) has ended, so that its first client requests do not pay for the JIT. A trimmer problem never takes a root out of rotation (it
/// only means larger leaf requests), so the trimmer is not part of it; liveness (<c>/healthz</c>)
/// is separate and stays true.
/// </summary>
public sealed class RootReadinessCheck(FeatureStoreReadiness store, LeafReadiness leaves, RootWarmup warmup) : IHealthCheck
{
    public const string Name = "root";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var storeState = store.Current;
        if (!storeState.Ready)
        {
            problems.Add($"feature store {storeState.Summary}");
        }

        foreach (var partition in leaves.Partitions.Values)
        {
            if (!partition.State.Ready)
            {
                problems.Add($"partition {partition.Partition}: {partition.State.Summary}");
            }
        }

        var warming = warmup.Current;
        if (warming.State != WarmupState.Done)
        {
            problems.Add(warming.Summary);
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy($"feature store answers; {leaves.Partitions.Count} partitions ready")
            : HealthCheckResult.Unhealthy(string.Join("; ", problems)));
    }
}
