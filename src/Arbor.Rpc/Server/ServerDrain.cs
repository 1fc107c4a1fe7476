using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Server;

/// <summary>How a server leaves: first unready, then a pause, then it finishes its calls and exits.</summary>
public sealed record DrainOptions
{
    /// <summary>
    /// How long the server keeps serving, already unready, after it is asked to stop (SIGTERM) and
    /// before it stops accepting: the time callers need to stop sending (a Kubernetes Service or a
    /// root re-resolving a headless Service; a root's own health checks).
    /// </summary>
    public TimeSpan Delay { get; init; } = TimeSpan.Zero;

    /// <summary>How long calls in flight may take to finish once the server stops accepting; the rest are aborted.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Graceful drain for an Arbor server host. When the host is asked to stop (SIGTERM, Ctrl+C) the
/// readiness checks (<c>/readyz</c>, <c>grpc.health.v1.Health</c>) fail at once with "draining";
/// the server keeps serving for <see cref="DrainOptions.Delay"/>; then Kestrel stops accepting,
/// sends HTTP/2 GOAWAY on every connection and lets the calls in flight finish within
/// <see cref="DrainOptions.Timeout"/>; the process then exits normally.
/// </summary>
public sealed partial class ServerDrain(DrainOptions options, TimeProvider time, ILogger<ServerDrain> logger) : IHostedLifecycleService, IHealthCheck
{
    public const string Name = "drain";

    private int _draining;

    /// <summary>True from the moment the host is asked to stop.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    public DrainOptions Options => options;

    /// <summary>Readiness: unhealthy while draining.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(IsDraining ? HealthCheckResult.Unhealthy("draining: shutting down") : HealthCheckResult.Healthy("accepting calls"));

    /// <summary>Runs before any hosted service (Kestrel included) stops: turn unready, then wait the drain delay.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _draining, 1) != 0)
        {
            // Stopped once already (a second StopAsync): the delay has been served.
            return;
        }

        LogDraining(options.Delay.TotalMilliseconds, options.Timeout.TotalMilliseconds);
        if (options.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(options.Delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout ran out first.
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Stopping: readiness is now false; serving on for {DelayMs} ms, then up to {TimeoutMs} ms for calls in flight")]
    private partial void LogDraining(double delayMs, double timeoutMs);
}

/// <summary>Registration of <see cref="ServerDrain"/>.</summary>
public static class ServerDrainExtensions
{
    /// <summary>
    /// Adds the drain: a readiness check that fails once stopping begins, the drain delay before the
    /// server stops, and a host shutdown timeout of delay + timeout.
    /// </summary>
    public static IServiceCollection AddArborDrain(this IServiceCollection services, DrainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        options ??= new DrainOptions();
        services.AddSingleton(options);
        services.AddSingleton(sp => new ServerDrain(options, sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<ServerDrain>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ServerDrain>());
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.Delay + options.Timeout);
        services.AddHealthChecks().AddCheck<ServerDrain>(ServerDrain.Name, tags: [RpcServiceCollectionExtensions.ReadinessTag]);
        return services;
    }
}
