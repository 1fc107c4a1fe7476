using Arbor.Rpc.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Rpc.Server;

/// <summary>Registers grpc-dotnet the way every Arbor server runs it.</summary>
public static class RpcServiceCollectionExtensions
{
    /// <summary>The health-check tag of checks that decide readiness (<c>/readyz</c> and <c>grpc.health.v1.Health</c>).</summary>
    public const string ReadinessTag = "ready";

    /// <summary>
    /// Adds grpc-dotnet with Arbor's settings: message size limits, gzip/lz4/zstd providers with
    /// decompression limits, <see cref="StatusInterceptor"/> (one place mapping outcomes to
    /// statuses, response compression), UNIMPLEMENTED for unknown services and methods
    /// (<see cref="UnimplementedCallFallback"/>), the health service fed by the ASP.NET Core health
    /// checks tagged <see cref="ReadinessTag"/>, server reflection, and Kestrel's memory in blocks of
    /// <see cref="RpcServerOptions.ReceiveBlockSize"/> (<see cref="LargeBlockMemoryPool"/>). Returns the health-checks
    /// builder so the caller can add its readiness checks.
    /// </summary>
    public static IHealthChecksBuilder AddArborGrpc(this IServiceCollection services, Action<RpcServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new RpcServerOptions();
        configure?.Invoke(options);
        options.Validate();
        services.AddSingleton(options);
        if (options.ReceiveBlockSize > 0)
        {
            services.Replace(ServiceDescriptor.Singleton<IMemoryPoolFactory<byte>>(new LargeBlockMemoryPool.Factory(options.ReceiveBlockSize)));
        }

        services.AddSingleton<StatusInterceptor>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, UnimplementedCallFallback>());
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
            grpc.MaxSendMessageSize = options.MaxSendMessageSize;
            grpc.CompressionProviders = options.Compression.Providers(options.MaxReceiveMessageSize);
            grpc.EnableDetailedErrors = false;
            // Unknown services and methods are answered by UnimplementedCallFallback, not by
            // grpc-dotnet's catch-all routes (a cost on every call's route match).
            grpc.IgnoreUnknownServices = true;
            grpc.Interceptors.Add<StatusInterceptor>();
        });
        if (options.EnableReflection)
        {
            services.AddGrpcReflection();
        }

        return services.AddGrpcHealthChecks(health =>
        {
            // The overall service ("") reports the readiness checks.
            health.Services.Map("", result => result.Tags.Contains(ReadinessTag));
        });
    }

    /// <summary>Runs the readiness checks (those tagged <see cref="ReadinessTag"/>): what <c>/readyz</c> answers from.</summary>
    public static Task<HealthReport> CheckReadinessAsync(this HealthCheckService checks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checks);
        return checks.CheckHealthAsync(check => check.Tags.Contains(ReadinessTag), cancellationToken);
    }

    /// <summary>
    /// Maps the standard services: <c>grpc.health.v1.Health</c> and (when enabled) server
    /// reflection. Health is marked anonymous (<c>IAllowAnonymous</c>): load balancers probe it
    /// without credentials, whatever a server requires of its other calls.
    /// </summary>
    public static IEndpointRouteBuilder MapArborGrpcStandardServices(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGrpcHealthChecksService().AllowAnonymous();
        if (endpoints.ServiceProvider.GetRequiredService<RpcServerOptions>().EnableReflection)
        {
            endpoints.MapGrpcReflectionService();
        }

        return endpoints;
    }
}
