using System.Diagnostics;
using System.Text.Json;
using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.FunctionalTests.Bench;
using Arbor.Root.Routing;
using Arbor.Testing;
using Xunit;

namespace Arbor.FunctionalTests.Faults;

/// <summary>
/// One of two replicas of a leaf partition killed abruptly (SIGKILL: no drain, its connections
/// simply vanish) under steady load, with a real root and real leaves as processes. A call in flight
/// on the killed replica, or sent to it before the root notices, fails with the connection; the
/// root sends every such call to the other replica (scoring is idempotent, up to
/// <c>fan_out.max_leaf_attempts</c> replicas while the deadline allows) and ejects the dead one
/// after <see cref="ReplicaSet{T}.FailuresToEject"/> of them in a row. So no request and no model
/// result fails, and at least <see cref="ReplicaSet{T}.FailuresToEject"/> calls were retried.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class ReplicaLossTests
{
    private const string Partition = "homefeed";
    private static readonly TimeSpan Within = TimeSpan.FromMinutes(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneOfTwoReplicasKilled_IsEjected_NoRequestOrModelFails_SurvivorScoresIdentically_BackInTrafficWhenRestarted()
    {
        using var work = new TempDirectory("arbor-replica-loss-");
        var artefacts = await SampleArtefacts.EnsureAsync(RepositoryLocator.Find(), work.Path, _ => { }, Ct);
        await using var fleet = await ReplicatedFleet.StartAsync(artefacts, replicas: 2, roots: 1, FaultCluster.Limits, TimeSpan.Zero, namespaces: false, work.Path, _ => { }, Ct);
        var root = fleet.Roots[0];
        var replicas = fleet.Leaves.Where(l => l.Partition == Partition).ToList();
        var victim = replicas[0];
        var survivor = replicas[1];
        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), BenchScenario.Small, seed: 11);
        var requests = Enumerable.Range(0, 8).Select(_ => workload.Next()).ToList();
        var deadline = TimeSpan.FromMilliseconds(FaultCluster.Limits.DefaultDeadlineMs);

        // Arrange: the scores of every request with both replicas up.
        var expected = new List<List<string>>();
        foreach (var request in requests)
        {
            var response = await root.Channel.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new Rpc.Client.RpcCallOptions { Timeout = deadline }, Ct);
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {r.Status.Message}"));
            Assert.Contains(response.Results, r => r.Partition == Partition);
            expected.Add(ScoreFingerprint.Of(response));
        }

        await using var load = SteadyLoad.Start(root.Channel, requests, deadline);
        await Eventually.WaitUntilAsync(async () => (await ReplicaAsync(root, victim)).Calls > 0 && load.Outcomes.Count >= 4, "the victim replica answers calls under load", Within, Ct);
        var before = await RetriesAsync(root);

        // Act 1: SIGKILL one replica while calls run.
        Process.GetProcessById(victim.Process.Id).Kill();
        await victim.Process.WaitForExitAsync(Ct);
        var killedAfter = load.Outcomes.Count;
        await Eventually.WaitUntilAsync(async () => (await ReplicaAsync(root, victim)).Ejected, "the root ejects the killed replica", Within, Ct);
        var ejected = await ReplicaAsync(root, victim);
        var ejectedAt = load.Outcomes.Count;
        await Eventually.WaitUntilAsync(() => load.Outcomes.Count >= ejectedAt + 10, "ten requests finish with the replica ejected", Within, Ct);
        var whileEjected = await ReplicaAsync(root, victim);

        // Act 2: restart it (same ports, as a supervisor would) and wait until the root sends it calls again.
        victim.Process.Restart();
        using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            await victim.Process.WaitUntilReadyAsync(probe, new Uri(victim.HttpAddress, "/readyz"), ReplicatedFleet.ReadyWithin, Ct);
        }

        await Eventually.WaitUntilAsync(async () => !(await ReplicaAsync(root, victim)).Ejected, "the restarted replica is reinstated", Within, Ct);
        var reinstated = await ReplicaAsync(root, victim);
        await Eventually.WaitUntilAsync(async () => (await ReplicaAsync(root, victim)).Calls > reinstated.Calls, "the restarted replica answers calls again", Within, Ct);
        var outcomes = await load.StopAsync();
        var retried = await RetriesAsync(root) - before;

        // Assert: nothing failed, every response scored exactly as with both replicas up.
        Assert.True(outcomes.Count > killedAfter, "no request ran after the kill");
        var failed = outcomes.Where(o => o.Error is not null).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {outcomes.Count} requests failed: {string.Join("; ", failed.Take(5).Select(f => f.Error))}");
        var failedModels = outcomes.SelectMany(o => o.Response!.Results).Where(r => r.Status.Code != 0).ToList();
        Assert.True(failedModels.Count == 0, $"{failedModels.Count} model results failed: {string.Join("; ", failedModels.Take(5).Select(r => $"{r.Model} {r.Status.Code}: {r.Status.Message}"))}");
        Assert.All(outcomes, o => Assert.Equal(expected[o.Request], ScoreFingerprint.Of(o.Response!)));
        Assert.True(ejected.Ejections >= 1, "the killed replica was never counted as ejected");
        Assert.True(retried >= ReplicaSet<string>.FailuresToEject, $"{retried} leaf calls retried; each of the {ReplicaSet<string>.FailuresToEject} failures that ejected the replica should have been");
        // While ejected (health-checked, not tried with live calls), the dead replica was sent no call.
        Assert.Equal(ejected.Calls, whileEjected.Calls);
        Assert.False(survivor.Process.HasExited, $"the surviving replica exited: {survivor.Process.Tail(20)}");
        Assert.False(root.Process.HasExited, $"the root exited: {root.Process.Tail(20)}");
    }

    private static async Task<ReplicaView> ReplicaAsync(RootProcess root, LeafProcess leaf)
    {
        using var stats = await StatsAsync(root);
        var replica = stats.RootElement.GetProperty("leaves").GetProperty(leaf.GrpcAddress.Authority);
        return new ReplicaView(replica.GetProperty("ejected").GetBoolean(), replica.GetProperty("ejections").GetInt64(), replica.GetProperty("calls").GetInt64());
    }

    private static async Task<long> RetriesAsync(RootProcess root)
    {
        using var stats = await StatsAsync(root);
        return stats.RootElement.GetProperty("leaf_retries").GetInt64();
    }

    private static async Task<JsonDocument> StatsAsync(RootProcess root)
    {
        await using var stream = await root.Admin.GetStreamAsync(new Uri("/admin/stats", UriKind.Relative), Ct);
        return await JsonDocument.ParseAsync(stream, cancellationToken: Ct);
    }

    private sealed record ReplicaView(bool Ejected, long Ejections, long Calls);
}
