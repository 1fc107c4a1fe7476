using System.Collections.Concurrent;
using System.Net;
using Arbor.FunctionalTests.Observability.Otlp;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Arbor.FunctionalTests.Observability;

/// <summary>
/// A small OTLP/HTTP (protobuf) collector for the tests: <c>POST /v1/traces</c> and
/// <c>POST /v1/metrics</c> on loopback, parsed with the export messages' published field numbers,
/// keeping every span and the names of the metrics each service pushed.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentDictionary<(string Service, string Metric), bool> _metrics = new();

    private OtlpReceiver(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The base address (<c>http://127.0.0.1:port</c>); exporters append <c>/v1/traces</c>, <c>/v1/metrics</c>.</summary>
    public Uri Endpoint { get; }

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    /// <summary>Whether <paramref name="service"/> pushed the metric called <paramref name="metric"/> (OpenTelemetry name).</summary>
    public bool HasMetric(string service, string metric) => _metrics.ContainsKey((service, metric));

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = Arbor.Testing.LoopbackPort.Next();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1AndHttp2));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, new Uri($"http://127.0.0.1:{port}"));
        app.MapPost("/v1/traces", async context => receiver.Traces(ExportTraceServiceRequest.Parser.ParseFrom(await ReadAsync(context))));
        app.MapPost("/v1/metrics", async context => receiver.Metrics(ExportMetricsServiceRequest.Parser.ParseFrom(await ReadAsync(context))));
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task<byte[]> ReadAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        context.Response.ContentType = "application/x-protobuf";
        return body.ToArray();
    }

    private void Traces(ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var service = ServiceName(resource.Resource);
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    _spans.Enqueue(new ReceivedSpan(
                        service,
                        scope.Scope?.Name ?? "",
                        span.Name,
                        Convert.ToHexStringLower(span.TraceId.Span),
                        Convert.ToHexStringLower(span.SpanId.Span),
                        span.ParentSpanId.IsEmpty ? null : Convert.ToHexStringLower(span.ParentSpanId.Span),
                        span.Attributes.ToDictionary(a => a.Key, a => Text(a.Value), StringComparer.Ordinal)));
                }
            }
        }
    }

    private void Metrics(ExportMetricsServiceRequest request)
    {
        foreach (var resource in request.ResourceMetrics)
        {
            var service = ServiceName(resource.Resource);
            foreach (var metric in resource.ScopeMetrics.SelectMany(s => s.Metrics))
            {
                _metrics[(service, metric.Name)] = true;
            }
        }
    }

    private static string ServiceName(Resource? resource) =>
        resource?.Attributes.FirstOrDefault(a => a.Key == "service.name") is { } name ? Text(name.Value) : "";

    private static string Text(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.ArrayValue => string.Join(',', value.ArrayValue.Values.Select(Text)),
        _ => "",
    };
}

/// <summary>One exported span: who sent it, its ids (hex) and attributes.</summary>
public sealed record ReceivedSpan(
    string Service, string Scope, string Name, string TraceId, string SpanId, string? ParentSpanId, IReadOnlyDictionary<string, string> Attributes);
