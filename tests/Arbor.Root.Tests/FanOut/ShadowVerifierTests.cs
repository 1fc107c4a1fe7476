using System.Globalization;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Root.Diagnostics;
using Arbor.Root.FanOut;
using Arbor.Root.Routing;
using Arbor.Root.Tests.Hosting;
using Arbor.Testing;
using Arbor.Trimming;
using Arbor.Trimming.Verification;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Arbor.Root.Tests.FanOut;

public sealed class ShadowVerifierTests
{
    private const int Requests = 24;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Compare_SameBits_Match()
    {
        var outcome = ShadowVerifier.Compare(Response("2", 0.25f, float.NaN, -1f), Response("2", 0.25f, float.NaN, -1f), out var maxAbsDiff, out var differing);

        Assert.Equal((ShadowOutcome.Match, 0.0, 0), (outcome, maxAbsDiff, differing));
    }

    [Fact]
    public void Compare_EqualValuesWithOtherBits_Mismatch()
    {
        // 0 and -0 compare equal as numbers; a bit-for-bit comparison tells them apart.
        var outcome = ShadowVerifier.Compare(Response("2", 0f, 1f, 2f), Response("2", -0f, 1f, 2.5f), out var maxAbsDiff, out var differing);

        Assert.Equal((ShadowOutcome.Mismatch, 0.5, 2), (outcome, maxAbsDiff, differing));
    }

    [Fact]
    public void Compare_NaNAgainstANumber_MismatchWithAnInfiniteDifference()
    {
        var outcome = ShadowVerifier.Compare(Response("2", float.NaN), Response("2", 1f), out var maxAbsDiff, out _);

        Assert.Equal((ShadowOutcome.Mismatch, double.PositiveInfinity), (outcome, maxAbsDiff));
    }

    [Fact]
    public void Compare_DifferentVersionsOrShapes_Failed()
    {
        Assert.Equal(ShadowOutcome.Failed, ShadowVerifier.Compare(Response("2", 1f), Response("3", 1f), out _, out _));
        Assert.Equal(ShadowOutcome.Failed, ShadowVerifier.Compare(Response("2", 1f), Response("2", 1f, 2f), out _, out _));
    }

    [Fact]
    public async Task CorrectAllowlists_FractionOne_EveryPairMatches_UnbatchedAtTheLeaf_ResponsesUnchanged()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithShadow(c, 0));
        using var shadowMetric = new MetricCollector<long>(cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RootMetrics.MeterName, "arbor.root.trim.shadow");
        var references = new List<ScoreResponse>();
        for (var i = 0; i < Requests; i++)
        {
            references.Add(await cluster.ScoreAsync(Request(i)));
        }

        Assert.Empty(cluster.Services.GetRequiredService<FeatureTrimmer>().GetStatus().Shadow);

        // Shadow verification is switched on by a reload of the root config.
        var config = await File.ReadAllTextAsync(cluster.ConfigPath, Ct);
        await File.WriteAllTextAsync(cluster.ConfigPath, config.Replace("\"shadow_fraction\": 0,", "\"shadow_fraction\": 1,", StringComparison.Ordinal), Ct);
        await Eventually.WaitUntilAsync(
            () => cluster.Services.GetRequiredService<RoutingState>().Current.Config.Trimmer.ShadowFraction == 1, "the reloaded config", Patience, Ct);
        for (var i = 0; i < Requests; i++)
        {
            var response = await cluster.ScoreAsync(Request(i));
            Assert.Equal(references[i], response);
            Assert.All(response.Results, r => Assert.True(r.Trimmed));
        }

        var shadow = await WaitForSamplesAsync(cluster, Requests);
        foreach (var model in new[] { "m_a", "m_b" })
        {
            var entry = Assert.Single(shadow, s => s.Model == model);
            Assert.Equal((Requests, Requests, 0L, 0L, 0L), (entry.Samples, entry.Matches, entry.Mismatches, entry.Failed, entry.Dropped));
            Assert.Null(entry.LastMismatchRequestId);
        }

        Assert.Equal(2 * Requests, shadowMetric.GetMeasurementSnapshot().Where(m => Equals(m.Tags["outcome"], "match")).Sum(m => m.Value));
        foreach (var leaf in new[] { cluster.LeafA, cluster.LeafB })
        {
            // Per sample: the trimmed call and its untrimmed twin, both unbatched; the real calls are not.
            var unbatched = leaf.Requests.Where(r => r.Unbatched).ToList();
            Assert.Equal(Requests, unbatched.Count(r => r.TrimmedFor is not null));
            Assert.Equal(Requests, unbatched.Count(r => r.TrimmedFor is null && r.Columns.Count > 3));
            Assert.Equal(2 * Requests, leaf.Requests.Count(r => !r.Unbatched));
        }
    }

    [Fact]
    public async Task AllowlistDroppingAFeatureTheModelReads_MismatchesCountedLoggedAndShownPerModelVersion()
    {
        var logs = new FakeLogCollector();
        await using var cluster = await RootTestCluster.StartAsync(
            editConfig: c => WithShadow(c, 1),
            logging: logging => logging.AddProvider(new FakeLoggerProvider(logs)));
        using var shadowMetric = new MetricCollector<long>(cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RootMetrics.MeterName, "arbor.root.trim.shadow");
        // The mistake: m_a's allowlist lacks c_ids, which m_a reads (the fake leaf has no trim-gap check).
        cluster.WriteBundle(new Dictionary<string, string[]> { ["m_a"] = ["u_age", "c_ctr"], ["m_b"] = RootTestCluster.Uses["m_b"] });
        var trimmer = cluster.Services.GetRequiredService<FeatureTrimmer>();
        await Eventually.WaitUntilAsync(() => trimmer.Snapshot.Lookup("m_a", null).Allowlist?.Count == 2, "the wrong allowlist loads", Patience, Ct);

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Requests; i++)
        {
            var response = await cluster.ScoreAsync(Request(i));
            ids.Add(response.RequestId);
            Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
        }

        var shadow = await WaitForSamplesAsync(cluster, Requests);
        var wrong = Assert.Single(shadow, s => s.Model == "m_a");
        Assert.Equal(("1", Requests, 0L, (long)Requests, 0L), (wrong.Version, wrong.Samples, wrong.Matches, wrong.Mismatches, wrong.Failed));
        Assert.Contains(wrong.LastMismatchRequestId!, ids);
        // The largest c_ids list of a request's candidates has 4 ids: its length is the fake model's contribution (summed in float).
        Assert.InRange(wrong.MaxAbsDiff, 3.99, 4.01);
        var right = Assert.Single(shadow, s => s.Model == "m_b");
        Assert.Equal((Requests, 0L), (right.Matches, right.Mismatches));

        var mismatches = shadowMetric.GetMeasurementSnapshot().Where(m => Equals(m.Tags["outcome"], "mismatch")).ToList();
        Assert.Equal(Requests, mismatches.Sum(m => m.Value));
        Assert.All(mismatches, m => Assert.Equal(("m_a", "1"), ((string?)m.Tags["model"], (string?)m.Tags["version"])));

        var logged = logs.GetSnapshot().Where(r => r.Id.Id == 2104).ToList();
        Assert.InRange(logged.Count, 1, 5); // rate-limited per model
        Assert.All(logged, r => Assert.Equal(LogLevel.Warning, r.Level));
        Assert.Contains(logged, r => ids.Any(id => r.Message.Contains(id, StringComparison.Ordinal)));

        using var admin = JsonDocument.Parse(await cluster.Admin.GetStringAsync(new Uri("/admin/trimmer", UriKind.Relative), Ct));
        var shown = admin.RootElement.GetProperty("shadow").EnumerateArray().Single(e => e.GetProperty("model").GetString() == "m_a");
        Assert.Equal(Requests, shown.GetProperty("mismatches").GetInt64());
        Assert.Equal(Requests, shown.GetProperty("samples").GetInt64());
        Assert.Contains(shown.GetProperty("lastMismatchRequestId").GetString()!, ids);
        Assert.Equal(wrong.MaxAbsDiff, shown.GetProperty("maxAbsDiff").GetDouble());
    }

    [Fact]
    public async Task PairsHeldAtTheLeaf_BoundReached_LaterSamplesDropped_ResponsesDoNotWait()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithShadow(c, 1, maxInFlight: 2));
        var verifier = cluster.Services.GetRequiredService<ShadowVerifier>();
        cluster.LeafA.HoldUnbatched();
        cluster.LeafB.HoldUnbatched();

        for (var i = 0; i < 5; i++)
        {
            var response = await cluster.ScoreAsync(Request(i));
            Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
        }

        // The first request's two samples hold both slots; the next four requests' eight are dropped.
        var trimmer = cluster.Services.GetRequiredService<FeatureTrimmer>();
        Assert.Equal(2, verifier.InFlight);
        Assert.Equal(8, trimmer.GetStatus().Shadow.Sum(s => s.Dropped));

        cluster.LeafA.Release();
        cluster.LeafB.Release();
        await Eventually.WaitUntilAsync(() => verifier.InFlight == 0, "the held pairs finish", Patience, Ct);
        Assert.Equal(2, trimmer.GetStatus().Shadow.Sum(s => s.Matches));
    }

    private static string WithShadow(string config, double fraction, int maxInFlight = 1024) =>
        config.Replace(
            $"\"trimmer\": {RootTestCluster.ShadowOff},",
            $"\"trimmer\": {{ \"shadow_fraction\": {fraction.ToString(CultureInfo.InvariantCulture)}, \"shadow_max_in_flight\": {maxInFlight} }},",
            StringComparison.Ordinal);

    private static ScoreRequest Request(int i)
    {
        var request = RootTestCluster.Request(user: i % 2 == 0 ? "u1" : "u9");
        request.RequestId = $"shadow-{i}";
        return request;
    }

    /// <summary>The shadow entries once every model has <paramref name="samples"/> samples (bounded wait).</summary>
    private static async Task<IReadOnlyList<ShadowStatus>> WaitForSamplesAsync(RootTestCluster cluster, long samples)
    {
        var trimmer = cluster.Services.GetRequiredService<FeatureTrimmer>();
        var verifier = cluster.Services.GetRequiredService<ShadowVerifier>();
        IReadOnlyList<ShadowStatus> shadow = [];
        await Eventually.WaitUntilAsync(
            () =>
            {
                shadow = trimmer.GetStatus().Shadow;
                return verifier.InFlight == 0 && shadow.Count == 2 && shadow.All(s => s.Samples + s.Dropped >= samples);
            },
            $"{samples} shadow samples per model",
            Patience,
            Ct);
        return shadow;
    }

    private static LeafScoreResponse Response(string version, params float[] scores)
    {
        var response = new LeafScoreResponse { Model = "m", Version = version, RowCount = (uint)scores.Length };
        response.Outputs.Add("p");
        response.Scores.Add(scores);
        return response;
    }
}
