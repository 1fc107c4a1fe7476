using System.Diagnostics;
using System.Text.Json;
using Arbor.Cli.Bench;
using Arbor.Contracts.V1;
using Arbor.Release.Publishing;
using Arbor.Signatures.Bundles;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Release;

/// <summary>
/// The rollout gap with real processes and real TorchScript models: a model version that uses more
/// features reaches the leaves before its allowlist reaches the root. Every call trimmed to the old
/// allowlist is refused by the leaf and resent untrimmed, so the scores equal the model's own
/// untrimmed outputs (a root that never trims, over the same leaf), bit for bit.
/// </summary>
public sealed class TrimGapRolloutTests
{
    private const string Model = "homefeed_ctr";
    private const string Env = "canary";
    private const int Requests = 48;

    [Fact]
    public async Task VersionShippedBeforeItsAllowlist_ScoresEqualUntrimmed_NoFailures_GapVisibleUntilTheAllowlistLands()
    {
        await using var cluster = await ReleaseCluster.StartAsync([Env], [(Model, "1")], [Model], referenceRoots: true);
        var canary = cluster.Environments.Get(Env);

        // The mistake: version 2 (it adds features) goes to the leaves; the root's bundle knows only 1.
        AtomicPublisher.PublishDirectory(Path.Combine(cluster.Repository, Model, "2"), canary.VersionDirectory(Model, "2"));
        await cluster.WaitForDefaultAsync(Env, Model, "2");

        var gapStarted = Stopwatch.GetTimestamp();
        var gapVisibleAfter = TimeSpan.Zero;
        var (wrong, failed, trimmed) = (new List<string>(), new List<string>(), 0);
        for (var i = 0; i < Requests; i++)
        {
            var request = Request(i);
            var reference = await cluster.ScoreAsync(Env, request, reference: true);
            var response = await cluster.ScoreAsync(Env, request);
            var result = Assert.Single(response.Results);
            if (result.Status is { Code: not 0 } status)
            {
                failed.Add($"{request.RequestId}: {status.Code} {status.Message}");
            }
            else if (ScoreParity.FirstDifference(reference, response) is { } difference)
            {
                wrong.Add($"{request.RequestId}: {difference}");
            }

            Assert.Equal("2", result.Version);
            trimmed += result.Trimmed ? 1 : 0;
            if (i == 0)
            {
                // The first refused call is already in the admin view when its response comes back.
                Assert.Single(Gaps(await cluster.GetAdminAsync(Env, "/admin/trimmer")));
                gapVisibleAfter = Stopwatch.GetElapsedTime(gapStarted);
            }
        }

        var trimmer = await cluster.GetAdminAsync(Env, "/admin/trimmer");
        var gaps = await WaitForGapMetricAsync(cluster);
        TestContext.Current.TestOutputHelper?.WriteLine($"gap visible in /admin/trimmer after {gapVisibleAfter.TotalSeconds:F1}s; {gaps} refusals in metrics\n{trimmer}");

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {Requests} wrong: {string.Join("\n", wrong)}");
        Assert.True(failed.Count == 0, string.Join("\n", failed));
        Assert.Equal(0, trimmed);
        var gap = Assert.Single(Gaps(trimmer));
        Assert.Equal(Model, gap.GetProperty("model").GetString());
        Assert.Equal("1", gap.GetProperty("allowlistVersion").GetString());
        Assert.True(gap.GetProperty("stale").GetBoolean());
        Assert.Equal(Requests, gap.GetProperty("refusals").GetInt64());
        Assert.Contains("version '2'", gap.GetProperty("lastDetail").GetString(), StringComparison.Ordinal);
        Assert.Equal(Requests, gaps);

        // The allowlist lands: calls are trimmed again, and the gap is history (not stale).
        var bundle = new BundleBuilder(TimeProvider.System).Build(new BundleBuildRequest(canary.ModelsDirectory, "homefeed", Versions: [new ModelVersionRef(Model, "2")]));
        AtomicPublisher.WriteFile(canary.BundlePath("homefeed"), BundleJson.ToUtf8Bytes(bundle.Document));
        ScoreResponse? landed = null;
        await Eventually.WaitUntilAsync(
            () => (landed = cluster.ScoreAsync(Env, Request(Requests)).GetAwaiter().GetResult()).Results[0].Trimmed,
            "the root trims to the new allowlist",
            TimeSpan.FromSeconds(30),
            TestContext.Current.CancellationToken);
        var after = await cluster.ScoreAsync(Env, Request(Requests + 1));
        Assert.Null(ScoreParity.FirstDifference(await cluster.ScoreAsync(Env, Request(Requests + 1), reference: true), after));
        Assert.True(after.Results[0].Trimmed);
        var closed = Assert.Single(Gaps(await cluster.GetAdminAsync(Env, "/admin/trimmer")));
        Assert.False(closed.GetProperty("stale").GetBoolean());
        Assert.True(closed.GetProperty("refusals").GetInt64() >= Requests);
    }

    private static ScoreRequest Request(int i)
    {
        var random = new Random(11 + i);
        var request = new ScoreRequest { UserId = $"u{random.Next(500)}", RequestId = $"gap-{i}", Models = { new ModelSelector { Name = Model } } };
        for (var c = 0; c < 16; c++)
        {
            request.Candidates.Add(new Candidate { Id = $"c{random.Next(2000)}" });
        }

        return request;
    }

    private static List<JsonElement> Gaps(string trimmerJson)
    {
        using var document = JsonDocument.Parse(trimmerJson);
        return [.. document.RootElement.GetProperty("gaps").EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>The root's <c>arbor_trimmer_gaps_total</c> for the model, once the scrape shows it (bounded wait).</summary>
    private static async Task<long> WaitForGapMetricAsync(ReleaseCluster cluster)
    {
        long value = 0;
        await Eventually.WaitUntilAsync(
            () =>
            {
                var scrape = cluster.GetAdminAsync(Env, "/metrics").GetAwaiter().GetResult();
                var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith("arbor_trimmer_gaps_total{", StringComparison.Ordinal) && l.Contains($"model=\"{Model}\"", StringComparison.Ordinal));
                value = line is null ? 0 : (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                return value >= Requests;
            },
            "the gap shows in the root's metrics",
            TimeSpan.FromSeconds(10),
            TestContext.Current.CancellationToken);
        return value;
    }
}
