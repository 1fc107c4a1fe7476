using Arbor.Testing;

namespace Arbor.FunctionalTests.Observability;

/// <summary>
/// Traces from a real root and leaf process, pushed over OTLP/HTTP to a collector in the test: one
/// request is one trace across both processes.
/// </summary>
[Collection(ObservedCluster.Collection)]
public sealed class TracingTests(ObservedCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneRequest_IsOneConnectedTrace_AcrossRootAndLeaf()
    {
        var requestId = $"trace-{Guid.NewGuid():N}";
        var response = await cluster.ScoreAsync(cluster.Request(requestId, 16));
        Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {r.Status.Message}"));
        var models = cluster.Models.Count;

        List<ReceivedSpan> trace = [];
        await Eventually.WaitUntilAsync(
            () =>
            {
                var score = cluster.Otlp.Spans.FirstOrDefault(s => s.Name == "root.score" && s.Attributes.GetValueOrDefault("arbor.request_id") == requestId);
                trace = score is null ? [] : [.. cluster.Otlp.Spans.Where(s => s.TraceId == score.TraceId)];
                // One leaf server span per leaf call: one per model, or one per partition whose models share a call.
                return trace.Count(s => s.Name == "leaf.forward") == models && trace.Count(s => s.Name == "leaf.score") == models
                    && cluster.Models.All(m => trace.Exists(s => IsCallOf(s, m)))
                    && trace.Count(s => s.Service == "arbor-leaf" && s.Scope == "Microsoft.AspNetCore") == trace.Count(s => s.Name == "root.leaf_call")
                    && trace.Count(s => s.Scope == "Microsoft.AspNetCore" && s.Service == "arbor-root") == 1;
            },
            "the request's spans from both processes",
            TimeSpan.FromSeconds(60),
            Ct);

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", trace.OrderBy(s => s.Service, StringComparer.Ordinal).Select(s =>
            $"{s.Service} {s.Name} span {s.SpanId} parent {s.ParentSpanId ?? "-"} {string.Join(" ", s.Attributes.Where(a => a.Key.StartsWith("arbor.", StringComparison.Ordinal)).Select(a => $"{a.Key}={a.Value}"))}")));

        // Connected: one span without a parent (the root's gRPC server span), every other span's parent in the trace.
        var ids = trace.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var top = Assert.Single(trace, s => s.ParentSpanId is null);
        Assert.Equal("arbor-root", top.Service);
        Assert.All(trace.Where(s => s.ParentSpanId is not null), s => Assert.Contains(s.ParentSpanId!, ids));
        Assert.Equal(trace.Count, ids.Count);

        foreach (var name in new[] { "root.score", "root.fetch", "root.preprocess", "root.trim_encode" })
        {
            Assert.Single(trace, s => s.Name == name);
        }

        var byId = trace.ToDictionary(s => s.SpanId, StringComparer.Ordinal);
        foreach (var model in cluster.Models)
        {
            var call = Assert.Single(trace, s => IsCallOf(s, model));
            var leafScore = Assert.Single(trace, s => s.Name == "leaf.score" && s.Attributes.GetValueOrDefault("arbor.model") == model);
            Assert.Equal("arbor-leaf", leafScore.Service);

            // The leaf's work hangs under the root's call to that model (through the leaf's server span).
            Assert.Contains(call.SpanId, Ancestors(leafScore, byId));
            foreach (var step in new[] { "leaf.convert", "leaf.queue", "leaf.forward" })
            {
                Assert.Single(trace, s => s.Name == step && s.ParentSpanId == leafScore.SpanId);
            }

            // Parsing the request comes before the service method: a child of the leaf's server span
            // (the span the model's work hangs under, directly or through the union call's span).
            var server = Ancestors(leafScore, byId).Select(id => byId[id]).First(s => s.Scope == "Microsoft.AspNetCore");
            Assert.Equal("arbor-leaf", server.Service);
            var decode = Assert.Single(trace, s => s.Name == "leaf.decode" && s.ParentSpanId == server.SpanId);
            Assert.Equal("arbor-leaf", decode.Service);
        }
    }

    [Fact]
    public async Task Metrics_ArePushedOverOtlp_ByBothProcesses()
    {
        await cluster.ScoreAsync(cluster.Request($"otlp-metrics-{Guid.NewGuid():N}", 4));

        await Eventually.WaitUntilAsync(
            () => cluster.Otlp.HasMetric("arbor-root", "arbor.root.leaf.call.duration") && cluster.Otlp.HasMetric("arbor-leaf", "arbor.leaf.queue.duration"),
            "OTLP metrics from the root and the leaf",
            TimeSpan.FromSeconds(60),
            Ct);
    }

    /// <summary>Whether <paramref name="span"/> is the root's leaf call that carried <paramref name="model"/> (alone, or among a union call's models).</summary>
    private static bool IsCallOf(ReceivedSpan span, string model) =>
        span.Name == "root.leaf_call"
        && (span.Attributes.GetValueOrDefault("arbor.model") == model
            || (span.Attributes.GetValueOrDefault("arbor.models") ?? "").Split(',').Contains(model, StringComparer.Ordinal));

    private static IEnumerable<string> Ancestors(ReceivedSpan span, Dictionary<string, ReceivedSpan> byId)
    {
        for (var parent = span.ParentSpanId; parent is not null && byId.TryGetValue(parent, out var next); parent = next.ParentSpanId)
        {
            yield return parent;
        }
    }
}
