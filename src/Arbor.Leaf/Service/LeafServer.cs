using System.Net;
using System.Net.Sockets;
using Arbor.Contracts.V1;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Diagnostics;
using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Server;
using Arbor.Rpc.Tls;
using Arbor.Telemetry;
using Arbor.Telemetry.Status;
using Google.Protobuf;
using Grpc.AspNetCore.HealthChecks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Leaf.Service;

/// <summary>
/// A leaf partition on the network: the <c>arbor.v1.Leaf</c> gRPC service (Score, ListModels) and
/// <c>grpc.health.v1.Health</c> (the partition as <c>""</c>, each model as <c>arbor.v1.Leaf/&lt;model&gt;</c>) on
/// an HTTP/2 port, and <c>/healthz</c> (live), <c>/readyz</c> (every required model has a serving version)
/// <c>/models</c> (JSON), <c>/metrics</c> (Prometheus) and <c>/status</c> (a page for people) on an HTTP/1.1 port and on the gRPC port. The server answers as soon as
/// it starts; models load behind it and /readyz says when they are in.
/// </summary>
public sealed class LeafServer : IAsyncDisposable
{
    public const string ServiceName = "arbor.v1.Leaf";

    private readonly WebApplication _app;

    private LeafServer(WebApplication app, LeafPartition partition, Uri grpcAddress, Uri? httpAddress)
    {
        _app = app;
        Partition = partition;
        GrpcAddress = grpcAddress;
        HttpAddress = httpAddress;
    }

    public LeafPartition Partition { get; }

    /// <summary>http://address:port of the gRPC (h2c) endpoint; https:// with TLS.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>http://address:port of the HTTP/1.1 health endpoint, or null when turned off.</summary>
    public Uri? HttpAddress { get; }

    /// <summary>Starts listening, then loads the partition's models (returns once the first load pass is done).</summary>
    /// <param name="drain">How the leaf drains when asked to stop (SIGTERM); no delay by default.</param>
    public static async Task<LeafServer> StartAsync(
        PartitionConfig config, Action<ILoggingBuilder>? logging = null, TimeProvider? time = null, CancellationToken cancellationToken = default, DrainOptions? drain = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var builder = WebApplication.CreateSlimBuilder();
        var address = IPAddress.Parse(config.Server.Address);
        var grpcPort = config.Server.GrpcPort == 0 ? FreePort(address) : config.Server.GrpcPort;
        var httpPort = config.Server.HttpPort == 0 ? FreePort(address) : config.Server.HttpPort;
        builder.AddArborTelemetry(new TelemetrySettings
        {
            ServiceName = "arbor-leaf",
            ServiceInstanceId = new IPEndPoint(address, grpcPort).ToString(),
            ResourceAttributes = new Dictionary<string, object>(StringComparer.Ordinal) { ["arbor.partition"] = config.Partition },
            Meters = [LeafMetrics.MeterName, RpcMetrics.MeterName],
            ActivitySources = [LeafTracing.SourceName],
            OtlpEndpoint = config.Telemetry.OtlpEndpoint,
            OtlpProtocol = config.Telemetry.OtlpProtocol,
            LogFormat = config.Telemetry.LogFormat,
        });
        if (logging is null)
        {
            builder.Logging.ClearProviders();
        }
        else
        {
            logging(builder.Logging);
        }

        var health = builder.Services.AddArborGrpc(grpc => grpc.MaxReceiveMessageSize = grpc.MaxSendMessageSize = config.Server.MaxMessageBytes)
            .AddCheck<LeafReadinessCheck>(LeafReadinessCheck.Name, tags: [RpcServiceCollectionExtensions.ReadinessTag]);
        foreach (var model in config.Models)
        {
            // One gRPC health service per model (arbor.v1.Leaf/<model>), outside the partition's readiness.
            var check = ModelReadinessCheck.NamePrefix + model.Name;
            health.Add(new HealthCheckRegistration(check, services => new ModelReadinessCheck(services.GetRequiredService<LeafPartition>(), model.Name), HealthStatus.Unhealthy, [check]));
            builder.Services.Configure<GrpcHealthChecksOptions>(options => options.Services.Map(ModelReadinessCheck.ServiceName(model.Name), context => context.Name == check));
        }

        // TLS files are read now: a leaf whose certificate cannot be used fails to start, naming the file.
        var tls = config.Server.Tls is { } files ? new TlsCredentialSource("leaf-server", files, time) : null;
        if (tls is not null)
        {
            builder.Services.AddHostedService(services => new TlsReloadService([tls], config.Server.TlsReloadInterval, time ?? TimeProvider.System, services.GetService<ILogger<TlsReloadService>>()));
        }

        builder.Services.AddSingleton<LeafGrpcService>();
        builder.Services.AddArborDrain(drain);
        builder.Services.AddRouting();
        builder.Services.AddSingleton(services => new TrafficHistory(
            LeafStatusPage.Instruments, services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), time ?? TimeProvider.System, LeafStatusPage.Slot, LeafStatusPage.Slots));
        builder.Services.AddSingleton(services => new LeafPartition(config, time, services.GetRequiredService<ILoggerFactory>(), new LeafMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>())));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Deliberate HTTP/2 limits: streams per connection as configured (clients open more
            // connections beyond it), windows large enough for a few-hundred-KB leaf request to
            // arrive in one round trip. Kestrel refuses streams with ENHANCE_YOUR_CALM, then drops the
            // connection, once a connection has twice this many streams whose handlers still run
            // after the client reset them: handlers end as soon as their call is cancelled
            // (PendingScore) and excess work is shed with RESOURCE_EXHAUSTED (InferenceLimiter),
            // so they do not pile up.
            kestrel.Limits.Http2.MaxStreamsPerConnection = config.Server.MaxStreamsPerConnection;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 1024 * 1024;
            if (tls is null)
            {
                kestrel.ListenRpc(new IPEndPoint(address, grpcPort));
            }
            else
            {
                kestrel.ListenRpc(new IPEndPoint(address, grpcPort), tls);
            }

            if (httpPort > 0)
            {
                kestrel.Listen(address, httpPort, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });

        var app = builder.Build();
        var partition = app.Services.GetRequiredService<LeafPartition>();

        // Listening from the start: the status page shows the traffic of the last minutes.
        var traffic = app.Services.GetRequiredService<TrafficHistory>();
        try
        {
            Map(app, partition, traffic, time ?? TimeProvider.System);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            await partition.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await partition.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return new LeafServer(app, partition, new Uri($"{(tls is null ? "http" : "https")}://{host}:{grpcPort}"), httpPort > 0 ? new Uri($"http://{host}:{httpPort}") : null);
    }

    /// <summary>Waits until the host stops (Ctrl+C or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await Partition.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static void Map(WebApplication app, LeafPartition partition, TrafficHistory traffic, TimeProvider time)
    {
        var scorer = partition.Scorer;
        app.MapGrpcService<LeafGrpcService>();
        app.MapArborGrpcStandardServices();

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapArborMetrics();
        app.MapGet("/readyz", async (HealthCheckService checks, CancellationToken cancellationToken) =>
        {
            // The same checks as grpc.health.v1.Health.
            var report = await checks.CheckReadinessAsync(cancellationToken).ConfigureAwait(false);
            return report.Status == HealthStatus.Healthy
                ? Results.Text("ready\n")
                : Results.Text($"not ready: {string.Join("; ", report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => e.Description))}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/models", () => Results.Text(JsonFormatter.Default.Format(scorer.ListModels()), "application/json"));
        app.MapGet("/status", () => Results.Content(LeafStatusPage.Render(partition, traffic, time), "text/html; charset=utf-8"));
    }

    private static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
