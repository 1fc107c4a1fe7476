using System.Text.Json;
using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.FunctionalTests.Faults;
using Arbor.Root.Configuration;
using Arbor.Rpc.Client;
using Arbor.Testing;

namespace Arbor.FunctionalTests.EndToEnd;

/// <summary>
/// Shadow verification with real processes and the sample TorchScript models: with correct bundles
/// and every trimmed call verified, each pair (trimmed and untrimmed, both unbatched at the real
/// libtorch leaves) scores the same bits, and the client's responses stay what an untrimmed root answers.
/// </summary>
[Collection(Bench.ProcessClusterCollection.Name)]
public sealed class ShadowVerificationTests
{
    private const int Requests = 48;
    private const int Concurrency = 4;

    [Fact]
    public async Task CorrectBundles_FractionOne_EveryPairMatchesOnTheRealLeaves_ResponsesEqualUntrimmed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var work = new TempDirectory("arbor-shadow-");
        var artefacts = await SampleArtefacts.EnsureAsync(RepositoryLocator.Find(), work.Path, _ => { }, ct);
        await using var cluster = await ServingCluster.StartAsync(
            artefacts, [BenchMode.Untrimmed, BenchMode.Trimmed], LeafLayout.Shared, ClusterPlacement.Loopback, work.Path, _ => { }, ct,
            limits: FaultCluster.Limits,
            configureRoot: c => c with { Trimmer = new TrimmerConfig { ShadowFraction = 1, ShadowMaxInFlight = 1024 }, Warmup = FaultCluster.WarmupOff });
        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), BenchScenario.Small, seed: 23);
        var requests = Enumerable.Range(0, Requests).Select(i =>
        {
            var request = workload.Next();
            request.RequestId = $"shadow-{i}";
            return request;
        }).ToList();

        var differences = new List<string>();
        var trimmedCalls = 0;
        foreach (var chunk in requests.Chunk(Concurrency))
        {
            var answers = await Task.WhenAll(chunk.Select(async request =>
                (Reference: await ScoreAsync(cluster.RootOf(BenchMode.Untrimmed), request, ct), Trimmed: await ScoreAsync(cluster.RootOf(BenchMode.Trimmed), request, ct))));
            foreach (var (reference, trimmed) in answers)
            {
                if (ScoreParity.FirstDifference(reference, trimmed) is { } difference)
                {
                    differences.Add($"{trimmed.RequestId}: {difference}");
                }

                trimmedCalls += trimmed.Results.Count(r => r.Trimmed && r.Status.Code == 0);
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
        Assert.True(trimmedCalls >= Requests, $"only {trimmedCalls} trimmed calls");
        var shadow = await WaitForShadowAsync(cluster.RootOf(BenchMode.Trimmed), trimmedCalls, ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"{trimmedCalls} trimmed calls verified:\n{string.Join("\n", shadow.Select(s => s.ToString()))}");
        Assert.True(shadow.Count >= 2, "models of both partitions were verified");
        Assert.All(shadow, s => Assert.Equal((s.Samples, 0L, 0L, 0L), (s.Matches, s.Mismatches, s.Failed, s.Dropped)));
        Assert.Empty((await ShadowOfAsync(cluster.RootOf(BenchMode.Untrimmed), ct)));
    }

    private static Task<ScoreResponse> ScoreAsync(RootProcess root, ScoreRequest request, CancellationToken ct) =>
        root.Channel.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(FaultCluster.Limits.DefaultDeadlineMs) }, ct);

    /// <summary>The root's shadow entries once their samples add up to <paramref name="samples"/> (bounded wait).</summary>
    private static async Task<List<ShadowEntry>> WaitForShadowAsync(RootProcess root, long samples, CancellationToken ct)
    {
        List<ShadowEntry> shadow = [];
        await Eventually.WaitUntilAsync(
            async () => (shadow = await ShadowOfAsync(root, ct)).Sum(s => s.Samples + s.Dropped) >= samples,
            $"{samples} shadow pairs",
            TimeSpan.FromSeconds(60),
            ct);
        return shadow;
    }

    private static async Task<List<ShadowEntry>> ShadowOfAsync(RootProcess root, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(await root.Admin.GetStringAsync(new Uri("/admin/trimmer", UriKind.Relative), ct));
        return [.. document.RootElement.GetProperty("shadow").EnumerateArray().Select(e => new ShadowEntry(
            e.GetProperty("model").GetString()!,
            e.GetProperty("version").GetString()!,
            e.GetProperty("samples").GetInt64(),
            e.GetProperty("matches").GetInt64(),
            e.GetProperty("mismatches").GetInt64(),
            e.GetProperty("failed").GetInt64(),
            e.GetProperty("dropped").GetInt64()))];
    }

    private sealed record ShadowEntry(string Model, string Version, long Samples, long Matches, long Mismatches, long Failed, long Dropped);
}
