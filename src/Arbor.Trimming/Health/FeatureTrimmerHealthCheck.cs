using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Trimming.Health;

/// <summary>Reports the trimmer as healthy, or degraded (never unhealthy) with each bundle's detail.</summary>
public sealed class FeatureTrimmerHealthCheck(FeatureTrimmer trimmer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = trimmer.GetHealth();
        var data = health.Bundles.ToDictionary(b => b.Key, b => (object)b.Value, StringComparer.Ordinal);
        return Task.FromResult(health.IsHealthy
            ? HealthCheckResult.Healthy(health.Summary, data)
            : HealthCheckResult.Degraded(health.Summary, data: data));
    }
}
