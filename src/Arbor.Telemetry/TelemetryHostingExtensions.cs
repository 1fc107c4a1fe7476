using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Arbor.Telemetry;

/// <summary>
/// Wires the OpenTelemetry SDK into a root or leaf host: the process's meters, the .NET runtime's
/// (GC, thread pool, JIT, exceptions), latency histograms with serving buckets, a Prometheus scrape
/// endpoint, the process's activity sources, and OTLP push of metrics and traces when a collector is
/// configured.
/// </summary>
public static class TelemetryHostingExtensions
{
    /// <summary>The scrape path mapped by <see cref="MapArborMetrics"/>.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The standard variable the OTLP exporter reads.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    // The activity sources of grpc-dotnet's client and of HttpClient (.NET 9 and later).
    private const string GrpcClientSource = "Grpc.Net.Client";
    private const string HttpClientSource = "System.Net.Http";

    /// <summary>Adds metrics, traces and the console log to <paramref name="builder"/>.</summary>
    public static WebApplicationBuilder AddArborTelemetry(this WebApplicationBuilder builder, TelemetrySettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        builder.Logging.AddArborConsole(builder.Configuration, settings.LogFormat);
        var otlp = OtlpTarget.From(settings, builder.Configuration);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(settings.ServiceName, serviceInstanceId: settings.ServiceInstanceId, autoGenerateServiceInstanceId: settings.ServiceInstanceId is null)
                .AddAttributes(settings.ResourceAttributes))
            .WithMetrics(metrics =>
            {
                foreach (var meter in settings.Meters)
                {
                    metrics.AddMeter(meter);
                }

                metrics.AddRuntimeInstrumentation();
                metrics.AddView(instrument => instrument.Meter.Name.StartsWith("Arbor.", StringComparison.Ordinal)
                        && instrument.GetType().GetGenericTypeDefinition() == typeof(System.Diagnostics.Metrics.Histogram<>)
                        && LatencyBuckets.For(instrument.Unit) is { } boundaries
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = boundaries }
                    : null);

                // Every scrape reads the instruments afresh (the exporter's default caches answers for 300 ms).
                metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(exporter => otlp.Apply(exporter, "v1/metrics"));
                }
            })
            .WithTracing(tracing =>
            {
                // Without a collector nobody listens to the sources, so requests create no spans at all.
                if (otlp is null)
                {
                    return;
                }

                foreach (var source in settings.ActivitySources)
                {
                    tracing.AddSource(source);
                }

                // The client spans of outgoing gRPC calls: their ids are what the callee sees as its parent.
                tracing.AddSource(GrpcClientSource, HttpClientSource);

                // The gRPC and HTTP server spans: the parents of the process's own spans, carrying the
                // caller's traceparent. Probes and scrapes are left out.
                tracing.AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsProbe(context.Request.Path));
                tracing.AddOtlpExporter(exporter => otlp.Apply(exporter, "v1/traces"));
            });
        return builder;
    }

    private static bool IsProbe(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");

    /// <summary>Maps the Prometheus scrape endpoint (<c>GET /metrics</c>, text format 0.0.4 or OpenMetrics by <c>Accept</c>).</summary>
    public static IEndpointConventionBuilder MapArborMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);

    /// <summary>Where OTLP goes: the config file's endpoint, or the standard variables (read by the exporter itself).</summary>
    private sealed record OtlpTarget(Uri? Endpoint, OtlpExportProtocol Protocol)
    {
        public static OtlpTarget? From(TelemetrySettings settings, IConfiguration configuration)
        {
            var protocol = settings.OtlpProtocol switch
            {
                null or "" or "grpc" => OtlpExportProtocol.Grpc,
                "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
                var other => throw new ArgumentException($"unknown OTLP protocol '{other}' (grpc or http/protobuf)"),
            };
            if (!string.IsNullOrEmpty(settings.OtlpEndpoint))
            {
                return new OtlpTarget(new Uri(settings.OtlpEndpoint), protocol);
            }

            return string.IsNullOrEmpty(configuration[OtlpEndpointVariable]) ? null : new OtlpTarget(null, protocol);
        }

        public void Apply(OtlpExporterOptions options, string signalPath)
        {
            if (Endpoint is null)
            {
                return;
            }

            options.Protocol = Protocol;
            // Over HTTP an endpoint set in code is used as is: the signal's path is appended here, as the
            // exporter does for OTEL_EXPORTER_OTLP_ENDPOINT.
            options.Endpoint = Protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(Endpoint, Endpoint.AbsolutePath.EndsWith('/') ? signalPath : $"{Endpoint.AbsolutePath}/{signalPath}")
                : Endpoint;
        }
    }
}
