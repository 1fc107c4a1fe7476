using System.Globalization;
using Arbor.Telemetry;

namespace Arbor.FunctionalTests.Observability;

/// <summary>
/// <c>/metrics</c> of a real root and leaf process, parsed by Prometheus's Python client: every
/// figure the scrape shows follows from the requests the test sent.
/// </summary>
[Collection(ObservedCluster.Collection)]
public sealed class MetricsScrapeTests(ObservedCluster cluster)
{
    private const int Requests = 4;
    private const int Candidates = 40;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Scrapes_CountEveryLeafCall_PerModel_OnBothSides()
    {
        var rootBefore = await ScrapeRootAsync();
        var leafBefore = await ScrapeLeafAsync();

        long scoreBytes = 0;
        for (var i = 0; i < Requests; i++)
        {
            var response = await cluster.ScoreAsync(cluster.Request($"metrics-{i}", Candidates));
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {r.Status.Message}"));
            scoreBytes += response.Results.Sum(r => (long)r.Candidates.Sum(c => c.Scores.Count) * sizeof(float));
        }

        var root = await ScrapeRootAsync();
        var leaf = await ScrapeLeafAsync();

        foreach (var model in cluster.Models)
        {
            Assert.Equal(Requests, Delta(rootBefore, root, "arbor_root_leaf_trim_calls_total", ("model", model), ("trim", "trimmed")));
            Assert.Equal(0, Delta(rootBefore, root, "arbor_root_leaf_trim_calls_total", ("model", model), ("trim", "untrimmed")));
            Assert.Equal(Requests, Delta(rootBefore, root, "arbor_root_leaf_call_duration_seconds_count", ("model", model)));
            Assert.True(Delta(rootBefore, root, "arbor_root_leaf_request_bytes_total", ("model", model)) > 0, model);
            Assert.Equal(Requests, Delta(leafBefore, leaf, "arbor_leaf_queue_duration_seconds_count", ("model", model)));
            Assert.Equal(Requests, Delta(leafBefore, leaf, "arbor_leaf_inference_duration_seconds_count", ("model", model)));
        }

        // The first model's leaf serves an older version than its bundle's newest (see ObservedCluster).
        Assert.Equal(Requests, Delta(rootBefore, root, "arbor_root_trim_version_mismatches_total", ("model", cluster.Models[0])));
        Assert.Equal(0, Delta(rootBefore, root, "arbor_root_trim_version_mismatches_total", ("model", cluster.Models[1])));
        Assert.All(cluster.Models, model => Assert.Equal(1, leaf.Sum("arbor_leaf_model_versions", ("model", model), ("state", "available"))));

        // The answers carried at least their scores (4 bytes each), plus the framing of the message.
        Assert.True(Delta(rootBefore, root, "arbor_root_leaf_response_bytes_total") > scoreBytes);
        Assert.True(Delta(rootBefore, root, "arbor_feature_cache_hits_total") + Delta(rootBefore, root, "arbor_feature_cache_misses_total") >= Requests * (Candidates + 1));
    }

    [Fact]
    public async Task LatencyHistograms_UseTheServingBuckets()
    {
        await cluster.ScoreAsync(cluster.Request("buckets", 8));
        var root = await ScrapeRootAsync();
        var leaf = await ScrapeLeafAsync();

        Assert.Equal([.. LatencyBuckets.Seconds, double.PositiveInfinity], Bounds(root, "arbor_root_leaf_call_duration_seconds_bucket"));
        Assert.Equal([.. LatencyBuckets.Milliseconds, double.PositiveInfinity], Bounds(root, "arbor_root_request_duration_milliseconds_bucket"));
        Assert.Equal([.. LatencyBuckets.Seconds, double.PositiveInfinity], Bounds(leaf, "arbor_leaf_queue_duration_seconds_bucket"));
        Assert.Equal([.. LatencyBuckets.Seconds, double.PositiveInfinity], Bounds(leaf, "arbor_leaf_inference_duration_seconds_bucket"));
        Assert.Equal("histogram", root.Families["arbor_root_leaf_call_duration_seconds"].Type);
    }

    [Fact]
    public async Task Scrapes_ShowTrimmerBundles_AndTheRuntime()
    {
        var root = await ScrapeRootAsync();
        var leaf = await ScrapeLeafAsync();

        var staleness = Assert.Single(root.Samples("arbor_trimmer_bundle_staleness_seconds"));
        Assert.Equal(0, staleness.Value);
        Assert.Equal(1, Assert.Single(root.Samples("arbor_trimmer_bundle_active")).Value);
        foreach (var scrape in new[] { root, leaf })
        {
            Assert.Contains(scrape.SampleNames, n => n.StartsWith("dotnet_gc_collections", StringComparison.Ordinal));
            Assert.Contains(scrape.SampleNames, n => n.StartsWith("dotnet_thread_pool_thread_count", StringComparison.Ordinal));
        }
    }

    private Task<PrometheusScrape> ScrapeRootAsync() => PrometheusScrape.GetAsync(cluster.Http, new Uri(cluster.RootAdmin, TelemetryHostingExtensions.MetricsPath), Ct);

    private Task<PrometheusScrape> ScrapeLeafAsync() => PrometheusScrape.GetAsync(cluster.Http, new Uri(cluster.LeafHttp, TelemetryHostingExtensions.MetricsPath), Ct);

    private static double Delta(PrometheusScrape before, PrometheusScrape after, string sample, params (string, string)[] labels) =>
        after.Sum(sample, labels) - before.Sum(sample, labels);

    private static double[] Bounds(PrometheusScrape scrape, string bucketSample)
    {
        var buckets = scrape.Samples(bucketSample);
        Assert.NotEmpty(buckets);
        var first = buckets[0].Labels.Where(l => l.Key != "le").ToHashSet();
        return [.. buckets.Where(b => b.Labels.Where(l => l.Key != "le").ToHashSet().SetEquals(first))
            .Select(b => b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], CultureInfo.InvariantCulture))
            .Order()];
    }
}
