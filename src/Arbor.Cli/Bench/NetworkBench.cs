using System.Diagnostics;
using Arbor.Cli.Cluster;

namespace Arbor.Cli.Bench;

/// <summary>
/// The interleaved benchmark: one root process per mode (and its own leaves, so leaf CPU is
/// attributable), all fed the same requests at the same offered load in shuffled order, so the
/// modes' ratios come from one run under the same conditions. A warm-up phase (JIT, caches,
/// connections) is excluded from every figure.
/// </summary>
public static class NetworkBench
{
    private static readonly TimeSpan ShutdownReserve = TimeSpan.FromSeconds(5);

    /// <summary>Without --rate, the offered load keeps the machine about half busy, so latency is service time rather than queueing.</summary>
    private const double AutoUtilisation = 0.5;

    public static async Task<BenchReport> RunAsync(NetworkBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        var repository = RepositoryLocator.Find();
        var artefacts = await SampleArtefacts.EnsureAsync(repository, options.WorkDirectory, progress.Step, cancellationToken);
        await using var cluster = await ServingCluster.StartAsync(artefacts, options.Modes, options.Leaves, options.Placement, options.WorkDirectory, progress.Step, cancellationToken);
        progress.Step($"cluster ready after {clock.Elapsed.TotalSeconds:F0} s");
        try
        {
            return await MeasureAsync(options, progress, cluster, artefacts, clock, startedAt, cancellationToken);
        }
        catch (Exception) when (ReportExited(cluster, progress))
        {
            throw;
        }
    }

    // An exception filter: the children's tails are printed before the cluster is disposed.
    private static bool ReportExited(ServingCluster cluster, BenchProgress progress)
    {
        foreach (var description in cluster.DescribeExited())
        {
            progress.Step(description);
        }

        return false;
    }

    private static async Task<BenchReport> MeasureAsync(
        NetworkBenchOptions options, BenchProgress progress, ServingCluster cluster, SampleArtefacts artefacts, Stopwatch clock, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {

        var remaining = options.Duration - clock.Elapsed - ShutdownReserve;
        var warmup = TimeSpan.FromSeconds(Math.Clamp(remaining.TotalSeconds * 0.2, 3, 15));
        var drain = TimeSpan.FromSeconds(Math.Clamp(remaining.TotalSeconds * 0.1, 2, 10));
        var measured = remaining - warmup - drain;
        if (measured < TimeSpan.FromSeconds(3))
        {
            throw new InvalidOperationException($"--duration {options.Duration.TotalSeconds:F0} s leaves no time to measure: the cluster took {clock.Elapsed.TotalSeconds:F0} s to start; allow at least {(clock.Elapsed + ShutdownReserve + TimeSpan.FromSeconds(8)).TotalSeconds:F0} s");
        }

        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), options.Scenario, options.Seed);
        var roots = options.Modes.Select(cluster.RootOf).ToList();

        progress.Step($"warming up for {warmup.TotalSeconds:F0} s: one request at a time through all {roots.Count} modes ({options.Scenario.CandidatesPerRequest} candidates each)");
        var warmDriver = new LoadDriver(workload, TimeProvider.System, options.Seed) { OnRequestStarted = n => progress.Tick("warm-up", n, 0) };
        var groupTime = await warmDriver.RunSequentialGroupsAsync(roots, warmup, cancellationToken);
        progress.EndTicks();
        var rate = options.RequestsPerSecond ?? Math.Min(options.Scenario.RequestsPerSecond, AutoUtilisation / groupTime.TotalSeconds);
        var rateSource = options.RequestsPerSecond is null
            ? $"{(rate < options.Scenario.RequestsPerSecond ? "lowered to half this machine's capacity" : "the scenario's")}: a request took {groupTime.TotalMilliseconds:F0} ms through all modes"
            : "--rate";

        progress.Step($"measuring for {measured.TotalSeconds:F0} s at {rate:0.##} requests/s per mode ({rateSource}); every request goes to all {roots.Count} modes in shuffled order");
        var before = await ModeSnapshot.TakeAsync(cluster, options.Modes, cancellationToken);
        var driver = new LoadDriver(workload, TimeProvider.System, options.Seed + 1) { OnRequestStarted = n => progress.Tick("measure", n, rate * measured.TotalSeconds) };
        var phase = await driver.RunOpenLoopAsync(roots, rate, measured, drain, cancellationToken);
        var after = await ModeSnapshot.TakeAsync(cluster, options.Modes, cancellationToken);
        progress.EndTicks();

        var attributable = options.Leaves == LeafLayout.PerMode;
        var modes = options.Modes.Select(m => ModeSnapshot.Measure(m, before[m], after[m], phase.Tallies[m], phase.Elapsed, attributable)).ToList();
        modes = BenchResults.WithRatios(modes);
        return new BenchReport
        {
            Scenario = options.Scenario.Name,
            Description = options.Scenario.Description,
            Command = options.Command,
            StartedAt = startedAt,
            DurationS = clock.Elapsed.TotalSeconds,
            WarmupS = warmup.TotalSeconds,
            MeasuredS = phase.Elapsed.TotalSeconds,
            OfferedRequestsPerS = rate,
            RateSource = rateSource,
            CandidatesPerRequest = options.Scenario.CandidatesPerRequest,
            Method = "interleaved",
            LeafLayout = attributable ? "per-mode" : "shared",
            Shed = phase.Shed,
            ProcessorCount = Environment.ProcessorCount,
            Modes = modes,
            Summary = BenchSummary.From(modes),
        };
    }
}
