using Arbor.Cli.Bench;
using Arbor.Testing;
using Xunit;

namespace Arbor.FunctionalTests.Bench;

/// <summary>
/// <c>arbor bench root</c>'s scaling options end to end on loopback (null leaves): <c>--models N</c>
/// makes the root call N leaves per request by its own count, and <c>--cached-entities</c> leaves
/// exactly that many entities in the root's cache before each memory reading; the latency phase
/// reports what the root adds, and reads the root's CPU from the root itself.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class RootBenchTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public async Task Models_EveryRootMakesThatManyLeafCallsPerRequest(int models)
    {
        using var work = new TempDirectory("arbor-bench-root-");
        var options = Short(work.Path) with { ModelsPerRequest = models };

        var report = await RootBench.RunAsync(options, BenchProgress.Silent(), TestContext.Current.CancellationToken);

        Assert.Equal(models, report.ModelsPerRequest);
        Assert.Equal(models, report.Models!.Count);
        Assert.Equal(models, report.Models.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(["untrimmed", "trimmed"], report.Roots.Select(r => r.Root));
        Assert.All(report.Roots, r =>
        {
            Assert.Equal(0, r.Errors);
            Assert.True(r.SteadyRequests > 0, $"{r.Root}: no steady requests");
            Assert.Equal(models, r.LeafCallsPerRequest);
        });
    }

    [Fact]
    public async Task Latency_OneCaller_ReportsWhatTheRootAddsAndTheCallOverhead_FromThisPhasesCallsOnly()
    {
        using var work = new TempDirectory("arbor-bench-root-");
        // 6 leaf calls a request: 180 requests time more calls than the root's window keeps.
        var requests = (FanOutMetricsWindow / 6) + 10;
        var options = Short(work.Path) with { ModelsPerRequest = 6, LatencyRequests = requests };

        var report = await RootBench.RunAsync(options, BenchProgress.Silent(), TestContext.Current.CancellationToken);

        Assert.All(report.Roots, r =>
        {
            Assert.Equal(0, r.Errors);
            Assert.Equal(requests, r.LatencyRequests);
            Assert.False(r.LatencyWindowMixed, $"{r.Root}: the window holds calls from before the phase");
            // The null leaves say their own time; the rest of each call is overhead.
            Assert.True(r.LeafTimeP50Ms > 0, $"{r.Root}: leaf time {r.LeafTimeP50Ms}");
            Assert.True(r.CallOverheadP50Ms > 0, $"{r.Root}: overhead {r.CallOverheadP50Ms}");
            Assert.True(r.CallOverheadP99Ms >= r.CallOverheadP50Ms, $"{r.Root}: overhead p99 {r.CallOverheadP99Ms} < p50 {r.CallOverheadP50Ms}");
            Assert.True(r.LatencyP99Ms >= r.LatencyP50Ms, $"{r.Root}: p99 {r.LatencyP99Ms} < p50 {r.LatencyP50Ms}");
            Assert.Equal(r.LatencyP50Ms - r.LeafTimeP50Ms, r.RootAddedP50Ms);
            // The cold phase is compared with this phase's one-caller cost as well.
            Assert.True(r.OneCallerCpuUsPerCandidate > 0, $"{r.Root}: one-caller CPU {r.OneCallerCpuUsPerCandidate}");
            Assert.Equal(r.ColdCpuUsPerCandidate / r.OneCallerCpuUsPerCandidate, r.ColdVsOneCaller);
            // Its windows read the root's own CPU, to the microsecond, less what each reading of
            // /admin/stats costs it: /proc would give whole 10 ms ticks.
            Assert.Equal(RootBench.OwnCpuSource, r.CpuSource);
            Assert.True(r.StatsReadCpuUs > 0, $"{r.Root}: a stats reading costs {r.StatsReadCpuUs} µs");
            var ticks = r.OneCallerCpuUsPerCandidate!.Value * r.LatencyRequests * report.CandidatesPerRequest / 10_000;
            Assert.True(Math.Abs(ticks - Math.Round(ticks)) > 1e-6, $"{r.Root}: the phase's CPU is {ticks} whole ticks");
            // The root reports its compilation time, so the cold and steady phases say theirs.
            Assert.True(r.ColdJitUsPerCandidate >= 0, $"{r.Root}: cold compiling {r.ColdJitUsPerCandidate}");
            Assert.True(r.SteadyJitUsPerCandidate >= 0, $"{r.Root}: steady compiling {r.SteadyJitUsPerCandidate}");
            // Where the phase's requests spent their time at the root, stage by stage: together no
            // more than the client waited on average (each stage is a part of its request's time).
            var stages = Assert.IsType<IReadOnlyDictionary<string, double>>(r.StageMeanMs, exactMatch: false);
            Assert.Equal(Arbor.Root.Diagnostics.RootMetrics.StageNames, stages.Keys);
            Assert.All(stages, s => Assert.True(s.Value > 0, $"{r.Root}: stage {s.Key} {s.Value} ms"));
            Assert.True(stages.Values.Sum() <= r.LatencyMeanMs, $"{r.Root}: the stages add up to {stages.Values.Sum()} ms, the client waited {r.LatencyMeanMs} ms");
        });
        Assert.Contains("root-added p50 ms", RootBench.Format(report), StringComparison.Ordinal);
        Assert.Contains("| root | queue | features | encode | leaves | stages together |", RootBench.Format(report), StringComparison.Ordinal);
    }

    private const int FanOutMetricsWindow = Arbor.Root.FanOut.FanOutMetrics.TimedCallWindow;

    [Fact]
    public async Task CachedEntities_EachReadingHoldsThatManyEntities()
    {
        using var work = new TempDirectory("arbor-bench-root-");
        var options = Short(work.Path) with { CachedEntities = [300, 2500] };

        var report = await RootBench.RunAsync(options, BenchProgress.Silent(), TestContext.Current.CancellationToken);

        // The first reading is after one user and one candidate; 2,500 needs copies of the 2,000 sample candidates.
        var memory = Assert.IsType<IReadOnlyList<RootMemoryLevel>>(report.Memory, exactMatch: false);
        Assert.Equal([2, 300, 2500], memory.Select(m => m.Entities));
        Assert.Equal([2L, 300L, 2500L], memory.Select(m => m.CacheEntries));
        Assert.All(memory, m =>
        {
            Assert.True(m.Collected, $"{m.Entities}: the root's forced collection was not seen");
            Assert.True(m.RssBytes > 0 && m.GcHeapBytes > 0, $"{m.Entities}: RSS {m.RssBytes}, heap {m.GcHeapBytes}");
        });
        Assert.All(memory.Skip(1), m => Assert.True(m.CacheBytesPerEntity > 0, $"{m.Entities}: cache bytes per entity {m.CacheBytesPerEntity}"));
        Assert.Equal(0, report.Roots.Sum(r => r.Errors));
    }

    private static RootBenchOptions Short(string work) => new()
    {
        Scenario = BenchScenario.Small,
        Modes = BenchMode.ParseList("trimmed"),
        Concurrency = 2,
        ColdRequests = 2,
        WindowTime = TimeSpan.FromMilliseconds(200),
        MaxWarmup = TimeSpan.FromSeconds(1),
        IdleTime = TimeSpan.FromMilliseconds(200),
        Rounds = 1,
        RequestsPerRound = 10,
        WorkDirectory = work,
        Command = "test",
    };
}
