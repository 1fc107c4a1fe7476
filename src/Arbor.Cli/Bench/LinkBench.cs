using System.Diagnostics;
using Arbor.Cli.Cluster;

namespace Arbor.Cli.Bench;

/// <summary>
/// The bandwidth-limited benchmark: roots (and this driver) in one network namespace, leaves in
/// another, the root→leaf direction capped by a token-bucket filter. Modes run one at a time on the
/// link (so each has it to itself, and the shared leaves' CPU is attributable to the mode running):
/// a closed-loop ramp finds each mode's maximum throughput, then a fixed offered load measures
/// latency, bytes and CPU. Without <c>--rate</c> the fixed load is 90% of what the untrimmed mode
/// sustained, i.e. the link runs near the untrimmed demand.
/// </summary>
public static class LinkBench
{
    /// <summary>Set in the environment of the copy of this command that runs inside the root namespace.</summary>
    public const string InsideVariable = "ARBOR_BENCH_INSIDE_LINKNET";

    private static readonly int[] RampConcurrency = [2, 4, 8];
    private static readonly TimeSpan ShutdownReserve = TimeSpan.FromSeconds(5);

    public static bool IsInside => Environment.GetEnvironmentVariable(InsideVariable) == "1";

    /// <summary>
    /// Sets up the namespaces and the shaped link, runs this same command again inside the root
    /// namespace, and tears the link down afterwards. Returns the inner run's exit code.
    /// </summary>
    public static async Task<int> RunOutsideAsync(int mbit, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (!LinkNet.IsRoot)
        {
            await Console.Error.WriteLineAsync("arbor bench --link-mbit needs root: it creates network namespaces (ip netns) and shapes a veth link (tc tbf). Run it as root, e.g. sudo ./arbor bench ... --link-mbit N");
            return 2;
        }

        var linknet = Path.Combine(RepositoryLocator.Find(), "scripts", "linknet.sh");
        if (await RunAsync(linknet, ["up", mbit.ToString(System.Globalization.CultureInfo.InvariantCulture)], null, CancellationToken.None) is var up and not 0)
        {
            await Console.Error.WriteLineAsync($"arbor bench: scripts/linknet.sh up {mbit} failed ({up})");
            return 2;
        }

        try
        {
            var self = ArborExecutable.Current();
            string[] inner = ["netns", "exec", ClusterPlacement.RootNamespace, self.FileName, .. self.With(arguments)];
            return await RunAsync("ip", inner, new Dictionary<string, string> { [InsideVariable] = "1" }, cancellationToken);
        }
        finally
        {
            await RunAsync(linknet, ["down"], null, CancellationToken.None);
        }
    }

    /// <summary>The measurement itself, run inside the root namespace.</summary>
    public static async Task<BenchReport> RunInsideAsync(NetworkBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        var artefacts = await SampleArtefacts.EnsureAsync(RepositoryLocator.Find(), options.WorkDirectory, progress.Step, cancellationToken);
        // Behind a capped link every byte saved counts: the roots compress whatever it saves.
        await using var cluster = await ServingCluster.StartAsync(
            artefacts, options.Modes, LeafLayout.Shared, ClusterPlacement.Namespaces, options.WorkDirectory, progress.Step, cancellationToken,
            configureRoot: config => config with { FanOut = config.FanOut with { CompressionMinSaving = 0 } });
        progress.Step($"cluster ready after {clock.Elapsed.TotalSeconds:F0} s; leaves behind a {options.LinkMbit} Mbit/s link");

        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), options.Scenario, options.Seed);
        var driver = new LoadDriver(workload, TimeProvider.System, options.Seed);
        var roots = options.Modes.Select(cluster.RootOf).ToList();

        var remaining = options.Duration - clock.Elapsed - ShutdownReserve;
        var warmup = TimeSpan.FromSeconds(Math.Clamp(remaining.TotalSeconds * 0.1, 3, 10));
        var perMode = (remaining - warmup - TimeSpan.FromSeconds(14)) / options.Modes.Count;
        if (perMode < TimeSpan.FromSeconds(4))
        {
            throw new InvalidOperationException($"--duration {options.Duration.TotalSeconds:F0} s is too short for {options.Modes.Count} modes one at a time on the link (start-up took {clock.Elapsed.TotalSeconds:F0} s)");
        }

        progress.Step($"warming up all roots for {warmup.TotalSeconds:F0} s");
        await driver.RunSequentialGroupsAsync(roots, warmup, cancellationToken);

        var rampStep = perMode * 0.5 / RampConcurrency.Length;
        var fixedPhase = perMode * 0.5;
        double? rate = options.RequestsPerSecond;
        var results = new List<BenchModeResult>();
        long shed = 0;
        foreach (var root in roots)
        {
            double maxCandidatesPerSecond = 0;
            foreach (var concurrency in RampConcurrency)
            {
                var step = await driver.RunClosedLoopAsync(root, concurrency, rampStep, cancellationToken);
                var achieved = step.Tallies[root.Mode].Candidates / step.Elapsed.TotalSeconds;
                maxCandidatesPerSecond = Math.Max(maxCandidatesPerSecond, achieved);
                progress.Step($"{root.Mode.Name}: {concurrency} callers → {achieved:N0} candidates/s");
            }

            rate ??= Math.Max(0.2, 0.9 * maxCandidatesPerSecond / options.Scenario.CandidatesPerRequest);
            var before = await ModeSnapshot.TakeAsync(cluster, [root.Mode], cancellationToken);
            var phase = await driver.RunOpenLoopAsync([root], rate.Value, fixedPhase * 0.8, fixedPhase * 0.2, cancellationToken);
            var after = await ModeSnapshot.TakeAsync(cluster, [root.Mode], cancellationToken);
            shed += phase.Shed;
            var result = ModeSnapshot.Measure(root.Mode, before[root.Mode], after[root.Mode], phase.Tallies[root.Mode], phase.Elapsed, leafCpuAttributable: true) with { MaxCandidatesPerS = maxCandidatesPerSecond };

            // One mode at a time: parity is checked against the baseline's scores for the same requests in a separate pass.
            results.Add(result);
            progress.Step($"{root.Mode.Name}: at {rate:0.##} requests/s p99 {result.P99Ms:F1} ms, {result.LeafInboundBytesPerCandidate:N0} B/candidate");
        }

        progress.Step("checking score parity across modes");
        var parityWorkload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), options.Scenario, options.Seed + 99);
        var parity = await new LoadDriver(parityWorkload, TimeProvider.System, options.Seed).RunOpenLoopAsync(roots, 1, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(10), cancellationToken);
        var modes = BenchResults.WithRatios(results.Select(r =>
        {
            var tally = parity.Tallies.First(t => t.Key.Name == r.Mode).Value;
            return r with
            {
                ScoresCompared = tally.Compared,
                ScoreMismatches = tally.Mismatches,
                ScoresMatch = tally.Mismatches == 0 && tally.Errors == 0 && tally.Compared > 0 && r.Errors == 0,
                FirstMismatch = tally.FirstMismatch,
            };
        }).ToList());

        return new BenchReport
        {
            Scenario = options.Scenario.Name,
            Description = options.Scenario.Description,
            Command = options.Command,
            StartedAt = startedAt,
            DurationS = clock.Elapsed.TotalSeconds,
            WarmupS = warmup.TotalSeconds,
            MeasuredS = fixedPhase.TotalSeconds,
            OfferedRequestsPerS = rate ?? 0,
            CandidatesPerRequest = options.Scenario.CandidatesPerRequest,
            Method = "link",
            LeafLayout = "shared (modes one at a time)",
            LinkMbit = options.LinkMbit,
            Shed = shed,
            ProcessorCount = Environment.ProcessorCount,
            Modes = modes,
            Summary = BenchSummary.From(modes),
        };
    }

    private static async Task<int> RunAsync(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C reached the inner run too (same process group); let it shut its cluster down.
            await process.WaitForExitAsync(CancellationToken.None);
        }

        return process.ExitCode;
    }
}
