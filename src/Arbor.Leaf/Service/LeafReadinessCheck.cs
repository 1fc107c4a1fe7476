using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Leaf.Service;

/// <summary>
/// The leaf's readiness, behind both <c>/readyz</c> and <c>grpc.health.v1.Health</c> (service
/// <c>""</c>): ready when every required model (production models by default) has a serving
/// version. A model that is not required (an experiment by default) may be broken or still loading
/// without taking the partition out of rotation; its own state is on <see cref="ModelReadinessCheck"/>.
/// </summary>
public sealed class LeafReadinessCheck(LeafPartition partition) : IHealthCheck
{
    public const string Name = "models";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = partition.Manager.RequiredNotServing();
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy("every required model has a serving version")
            : HealthCheckResult.Unhealthy($"no serving version for required {string.Join(", ", missing.Order(StringComparer.Ordinal))}"));
    }
}
