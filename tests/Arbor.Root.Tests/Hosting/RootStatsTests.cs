using System.Diagnostics;
using System.Text.Json;
using Arbor.Testing;
using Grpc.Core;

namespace Arbor.Root.Tests.Hosting;

/// <summary>/admin/stats tells the service's failures from the clients' and counts models that fail inside answered requests.</summary>
public sealed class RootStatsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ModelFailingInsideAnsweredRequests_IsAModelError_AClientMistakeIsAClientError()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        cluster.LeafB.AnswerWith = StatusCode.Internal;

        var answered = await cluster.ScoreAsync(RootTestCluster.Request());
        var unknown = RootTestCluster.Request();
        unknown.Surface = "no-such-surface";
        var refused = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(unknown));

        Assert.Equal(StatusCode.NotFound, refused.StatusCode);
        Assert.Equal([StatusCode.OK, StatusCode.Internal], answered.Results.OrderBy(r => r.Model, StringComparer.Ordinal).Select(r => (StatusCode)r.Status.Code));
        // The leaf's own text stays in the root's log; the client gets a correlation id.
        var failed = answered.Results.Single(r => r.Status.Code != 0);
        Assert.StartsWith("the model failed at the leaf (correlation id ", failed.Status.Message, StringComparison.Ordinal);
        using var stats = JsonDocument.Parse(await cluster.Admin.GetStringAsync(new Uri("/admin/stats", UriKind.Relative), Ct));
        var json = stats.RootElement;
        Assert.Equal(2, json.GetProperty("requests").GetInt64());
        Assert.Equal(0, json.GetProperty("errors").GetInt64());
        Assert.Equal(1, json.GetProperty("client_errors").GetInt64());
        Assert.Equal(answered.Results.Count, json.GetProperty("model_results").GetInt64());
        Assert.Equal(1, json.GetProperty("model_errors").GetInt64());
        var models = json.GetProperty("models");
        var ok = answered.Results.Single(r => r.Status.Code == 0).Model;
        Assert.Equal((1, 0), (models.GetProperty(ok).GetProperty("results").GetInt64(), models.GetProperty(ok).GetProperty("errors").GetInt64()));
        Assert.True(models.GetProperty(ok).GetProperty("p99_ms").GetDouble() > 0);
        Assert.Equal((1, 1), (models.GetProperty(failed.Model).GetProperty("results").GetInt64(), models.GetProperty(failed.Model).GetProperty("errors").GetInt64()));
        Assert.Equal(0, models.GetProperty(failed.Model).GetProperty("p99_ms").GetDouble());
    }

    [Fact]
    public async Task Stages_EachRequestIsTimedByStage_AsEachStageEnds_TheLeavesStageHoldsALeafsHold()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        await cluster.ScoreAsync(RootTestCluster.Request());
        var first = await StagesAsync(cluster);

        // The second request's call to leaf B is held: the request is past its other stages, not yet past the leaves.
        cluster.LeafB.Hold();
        var client = Stopwatch.StartNew();
        var pending = cluster.ScoreAsync(RootTestCluster.Request());
        await Eventually.WaitUntilAsync(() => cluster.LeafB.Requests.Count == 2, "the second call reaches leaf B", TimeSpan.FromSeconds(30), Ct);
        var held = Stopwatch.StartNew();
        var midway = await StagesAsync(cluster);
        cluster.LeafB.Release();
        held.Stop();
        var answered = await pending;
        client.Stop();
        var after = await StagesAsync(cluster);

        Assert.All(answered.Results, r => Assert.Equal(0, r.Status.Code));
        Assert.Equal(["queue", "features", "encode", "leaves"], first.Keys);
        Assert.All(first.Values, s => Assert.Equal(1, s.Requests));
        Assert.Equal([2, 2, 2, 1], midway.Values.Select(s => s.Requests));
        Assert.All(after.Values, s => Assert.Equal(2, s.Requests));
        var second = after.ToDictionary(s => s.Key, s => s.Value.TotalMs - first[s.Key].TotalMs);
        Assert.True(second["leaves"] >= held.Elapsed.TotalMilliseconds, $"the leaves stage took {second["leaves"]} ms; leaf B held the call {held.Elapsed.TotalMilliseconds} ms");
        Assert.True(second.Values.Sum() <= client.Elapsed.TotalMilliseconds, $"the stages add up to {second.Values.Sum()} ms; the client waited {client.Elapsed.TotalMilliseconds} ms");
        Assert.All(second.Values, ms => Assert.True(ms >= 0));
    }

    private static async Task<Dictionary<string, (long Requests, double TotalMs)>> StagesAsync(RootTestCluster cluster)
    {
        using var stats = JsonDocument.Parse(await cluster.Admin.GetStringAsync(new Uri("/admin/stats", UriKind.Relative), Ct));
        return stats.RootElement.GetProperty("stages").EnumerateObject()
            .ToDictionary(s => s.Name, s => (s.Value.GetProperty("requests").GetInt64(), s.Value.GetProperty("total_ms").GetDouble()));
    }

    [Fact]
    public async Task LeafCalls_TheLeafsOwnTimeIsTakenFromTheRootsView_AsOverhead_OnlyForLeavesThatSayIt()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        cluster.LeafA.LeafTimeUs = 1500;

        var answered = await cluster.ScoreAsync(RootTestCluster.Request());

        Assert.All(answered.Results, r => Assert.Equal(0, r.Status.Code));
        using var stats = JsonDocument.Parse(await cluster.Admin.GetStringAsync(new Uri("/admin/stats", UriKind.Relative), Ct));
        var json = stats.RootElement;
        // Leaf B says nothing of its own time (an older leaf): its call is not timed.
        Assert.Single(cluster.LeafA.Requests);
        Assert.Equal(1, json.GetProperty("leaf_calls_timed").GetInt64());
        Assert.Equal(1.5, json.GetProperty("leaf_time_ms").GetProperty("p50").GetDouble(), 9);
        // The overhead is the root's view of that call (the model's leaf latency) less the leaf's 1.5 ms.
        var seen = json.GetProperty("models").GetProperty("m_a").GetProperty("p50_ms").GetDouble();
        Assert.Equal(Math.Max(0, seen - 1.5), json.GetProperty("leaf_call_overhead_ms").GetProperty("p50").GetDouble(), 9);
        Assert.True(seen > 0, $"the root saw the call take {seen} ms");
    }

    [Fact]
    public async Task ProcessCpuAndCompilation_AreTheRuntimesOwnFigures_AtTheTimeOfTheReading()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        await cluster.ScoreAsync(RootTestCluster.Request());

        // The root runs in this process: its figures lie between this process's own before and after the reading.
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime.TotalSeconds;
        var methodsBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds;
        using var stats = JsonDocument.Parse(await cluster.Admin.GetStringAsync(new Uri("/admin/stats", UriKind.Relative), Ct));
        process.Refresh();
        var cpuAfter = process.TotalProcessorTime.TotalSeconds;
        var methodsAfter = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitAfter = System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds;

        var json = stats.RootElement;
        Assert.InRange(json.GetProperty("cpu_seconds").GetDouble(), cpuBefore, cpuAfter);
        Assert.InRange(json.GetProperty("jit_methods_compiled").GetInt64(), methodsBefore, methodsAfter);
        Assert.InRange(json.GetProperty("jit_time_ms").GetDouble(), jitBefore, jitAfter);
        Assert.True(methodsBefore > 0 && jitBefore > 0, $"{methodsBefore} methods compiled in {jitBefore} ms");
    }
}
