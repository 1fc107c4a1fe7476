using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Leaf.Service;

/// <summary>
/// The leaf's readiness, behind both <c>/readyz</c> and <c>grpc.health.v1.Health</c>: ready when
/// every configured model has a serving version.
/// </summary>
public sealed class LeafReadinessCheck(LeafPartition partition) : IHealthCheck
{
    public const string Name = "models";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (partition.IsReady)
        {
            return Task.FromResult(HealthCheckResult.Healthy("every model has a serving version"));
        }

        var missing = partition.Manager.Snapshot.Models.Values.Where(m => m.DefaultVersion is null).Select(m => m.Name).Order(StringComparer.Ordinal);
        return Task.FromResult(HealthCheckResult.Unhealthy($"no serving version for {string.Join(", ", missing)}"));
    }
}
