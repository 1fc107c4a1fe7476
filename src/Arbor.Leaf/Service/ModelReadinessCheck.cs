using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Leaf.Service;

/// <summary>
/// One model's readiness: healthy while it has a serving version. Served by
/// <c>grpc.health.v1.Health</c> as service <c>arbor.v1.Leaf/&lt;model&gt;</c>, for every model
/// whether required or not; it is not part of the partition's readiness on its own.
/// </summary>
public sealed class ModelReadinessCheck(LeafPartition partition, string model) : IHealthCheck
{
    /// <summary>The health-check name (and tag) prefix of per-model checks.</summary>
    public const string NamePrefix = "model:";

    /// <summary>The gRPC health service name of <paramref name="model"/>.</summary>
    public static string ServiceName(string model) => $"{LeafServer.ServiceName}/{model}";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(partition.Manager.IsServing(model)
            ? HealthCheckResult.Healthy($"{model} has a serving version")
            : HealthCheckResult.Unhealthy($"{model} has no serving version"));
}
