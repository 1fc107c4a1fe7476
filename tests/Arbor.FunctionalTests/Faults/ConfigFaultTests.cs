using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.FunctionalTests.Bench;
using Arbor.Release.Verification;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Faults;

/// <summary>
/// Bad files under steady load against a real root and leaves: a corrupted bundle keeps its previous
/// allowlists (nothing goes untrimmed, nothing fails, scores unchanged bit for bit) and a broken root
/// config is refused while the one in force keeps serving; both report it, and both recover when the
/// file is good again.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class ConfigFaultTests(FaultCluster faults) : IClassFixture<FaultCluster>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(FaultCluster.Limits.DefaultDeadlineMs);
    private static readonly TimeSpan Recovery = TimeSpan.FromMinutes(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CorruptBundle_UnderLoad_PreviousAllowlistsKeepTrimming_NoRequestFails_ActiveAgainWhenRepaired()
    {
        var (requests, before) = await BaselineAsync();
        var bundle = faults.Artefacts.Bundles.Values.First();
        var id = Path.GetFileNameWithoutExtension(bundle);
        var good = await File.ReadAllBytesAsync(bundle, Ct);
        var admin = new RootAdminClient(faults.Probe);
        var load = SteadyLoad.Start(faults.Root.Channel, requests, Deadline);
        IReadOnlyList<LoadOutcome> outcomes;
        try
        {
            // Half a file, as a copy cut short would leave it.
            await File.WriteAllBytesAsync(bundle, good.AsMemory(0, good.Length / 2), Ct);
            await Eventually.WaitUntilAsync(
                async () => (await admin.GetTrimmerAsync(faults.Root.AdminAddress, Ct)).Bundles.Single(b => b.Id == id) is { State: "stale", LastError: not null },
                "the root reports the bundle stale with its error",
                Recovery,
                Ct);
            await WaitForMoreOutcomesAsync(load);
        }
        finally
        {
            outcomes = await load.StopAsync();
            await File.WriteAllBytesAsync(bundle, good, CancellationToken.None);
        }

        AssertServedAsBefore(outcomes, before);
        await Eventually.WaitUntilAsync(
            async () => (await admin.GetTrimmerAsync(faults.Root.AdminAddress, Ct)).Bundles.Single(b => b.Id == id) is { State: "active", LastError: null },
            "the repaired bundle is active again",
            Recovery,
            Ct);
    }

    [Fact]
    public async Task BrokenRootConfig_UnderLoad_IsRefused_TheConfigInForceServes_ClearedWhenRepaired()
    {
        var (requests, before) = await BaselineAsync();
        var path = faults.Root.ConfigPath;
        var good = await File.ReadAllTextAsync(path, Ct);
        var load = SteadyLoad.Start(faults.Root.Channel, requests, Deadline);
        IReadOnlyList<LoadOutcome> outcomes;
        string? reported;
        try
        {
            // Valid JSON that cannot work: the leaf timeout above the default deadline, no candidate allowed.
            await File.WriteAllTextAsync(path, good.Replace("\"leaf_timeout_ms\": 4000", "\"leaf_timeout_ms\": 999999", StringComparison.Ordinal).Replace("\"max_candidates\": 2000", "\"max_candidates\": 0", StringComparison.Ordinal), Ct);
            reported = null;
            await Eventually.WaitUntilAsync(async () => (reported = await ConfigErrorAsync()) is not null, "the root reports the config it refused", Recovery, Ct);
            await WaitForMoreOutcomesAsync(load);
        }
        finally
        {
            outcomes = await load.StopAsync();
            await File.WriteAllTextAsync(path, good, CancellationToken.None);
        }

        AssertServedAsBefore(outcomes, before);
        Assert.True(reported!.Contains("leaf_timeout_ms", StringComparison.Ordinal), reported);
        Assert.True(reported.Contains("max_candidates", StringComparison.Ordinal), reported); // every problem at once
        await Eventually.WaitUntilAsync(async () => await ConfigErrorAsync() is null, "the repaired config is accepted", Recovery, Ct);
    }

    /// <summary>A few requests scored once each, all models trimmed and answered: what the load must keep getting.</summary>
    private async Task<(List<ScoreRequest> Requests, List<List<string>> Scores)> BaselineAsync()
    {
        var requests = Enumerable.Range(0, 4).Select(_ => faults.NextRequest()).ToList();
        var scores = new List<List<string>>();
        foreach (var request in requests)
        {
            var response = await faults.ScoreAsync(request, Ct);
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0 && r.Trimmed, $"{r.Model}: trimmed {r.Trimmed}, {r.Status.Message}"));
            scores.Add(ScoreFingerprint.Of(response));
        }

        return (requests, scores);
    }

    /// <summary>Lets the load run on under the fault: a few more answers after the root has seen it.</summary>
    private static Task WaitForMoreOutcomesAsync(SteadyLoad load)
    {
        var seen = load.Outcomes.Count;
        return Eventually.WaitUntilAsync(() => load.Outcomes.Count >= seen + 8, "more requests under the fault", Recovery, Ct);
    }

    private void AssertServedAsBefore(IReadOnlyList<LoadOutcome> outcomes, List<List<string>> before)
    {
        Assert.NotEmpty(outcomes);
        Assert.All(outcomes, o =>
        {
            Assert.True(o.Error is null, $"request {o.Request} failed: {o.Error}");
            Assert.All(o.Response!.Results, r => Assert.True(r.Trimmed, $"request {o.Request}: {r.Model} went untrimmed"));
            Assert.Equal(before[o.Request], ScoreFingerprint.Of(o.Response!));
        });
        Assert.False(faults.Root.Process.HasExited, $"the root exited: {faults.Root.Process.Tail(20)}");
        Assert.All(faults.Cluster.Leaves, l => Assert.False(l.Process.HasExited, $"leaf {l.Partition} exited"));
    }

    private async Task<string?> ConfigErrorAsync()
    {
        using var stats = JsonDocument.Parse(await faults.Probe.GetStringAsync(new Uri(faults.Root.AdminAddress, "/admin/stats"), Ct));
        return stats.RootElement.TryGetProperty("config_error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;
    }
}
