using Arbor.Trimming;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Root.Hosting;

/// <summary>
/// The root's readiness, behind both <c>/readyz</c> and <c>grpc.health.v1.Health</c>. A trimmer
/// problem never takes a root out of rotation (it only means larger leaf requests), so it is
/// reported here as data, not as a failure.
/// </summary>
public sealed class RootReadinessCheck(FeatureTrimmer trimmer) : IHealthCheck
{
    public const string Name = "root";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = trimmer.GetHealth();
        return Task.FromResult(HealthCheckResult.Healthy(health.Summary));
    }
}
