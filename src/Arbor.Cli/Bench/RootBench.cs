using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Grpc.Core;

namespace Arbor.Cli.Bench;

/// <summary>
/// <c>arbor bench root</c>: the root's own CPU cost at steady state. Every root under test is a fresh
/// process (one per fan-out mode, and per build or environment variant when comparing), all behind
/// the same leaves. Phases, per root:
/// <list type="number">
/// <item>cold start: the first <c>--cold-requests</c> requests of the fresh root, one at a time, the
/// same requests for every root, in windows taken by every root in turn;</item>
/// <item>warm-up until stable: closed-loop windows of at least <c>--window-seconds</c> until three
/// consecutive windows' CPU per candidate lie within <see cref="StableSpread"/> of their median
/// (detected, not a fixed count; the report says when a root never settled);</item>
/// <item>steady state: <c>--rounds</c> rounds; in each, every root in a freshly shuffled order gets the
/// same list of requests at <c>--concurrency</c> callers (a load where the root, not idle time,
/// dominates); figures per round, the median reported; responses compared bitwise with the first
/// root's (meaningful with real leaves only);</item>
/// <item>idle: every root's CPU with no requests (after the rounds, once background compilation has
/// settled), so the steady figures can also be given net of idle;</item>
/// <item>saturation (with <c>--saturate-seconds</c>): one root at a time, more callers, for the
/// root's maximum candidates/s and candidates/s per core of root CPU.</item>
/// </list>
/// CPU is the kernel's user+system time of the root process. The windows of requests (cold,
/// rounds, latency) read it where the root reports it, its own <c>cpu_seconds</c> in
/// <c>/admin/stats</c> (the kernel's figure for the process, to the microsecond), less what one
/// reading of <c>/admin/stats</c> costs the root (measured before the cold phase); the longer
/// phases (warm-up windows, idle, saturation), and a build that does not report it, read
/// <c>/proc</c>, which gives it in 10 ms ticks. Allocation and GC counts come from the root's
/// <c>/admin/stats</c> where the build reports them.
/// </summary>
public static partial class RootBench
{
    /// <summary>Three windows within ±5% of their median count as stable.</summary>
    public const double StableSpread = 0.05;

    // The cold phase is measured in this many windows (its curve).
    private const int ColdCurveWindows = 10;

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(4);
    private static readonly Dictionary<string, string> QuietLogs = new(StringComparer.Ordinal) { ["Logging__LogLevel__Default"] = "Warning" };

    public static async Task<RootBenchReport> RunAsync(RootBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var repository = RepositoryLocator.Find();
        var artefacts = await SampleArtefacts.EnsureAsync(repository, options.WorkDirectory, progress.Step, cancellationToken);
        var loadAtStart = MachineLoad.Averages();
        await using var cluster = new Processes();
        if (options.CachedEntities.Count > 0)
        {
            return await RunMemoryAsync(cluster, artefacts, options, progress, loadAtStart, clock, cancellationToken);
        }

        var models = options.ModelsPerRequest is { } count ? BenchScenario.ModelsPerRequest(artefacts.Partitions, count) : [];
        if (!options.NullLeaves && models.Count > artefacts.Partitions.Partitions.Values.Sum(p => p.Models.Count))
        {
            throw new InvalidOperationException($"--models {models.Count} names older model versions, which the real leaves do not serve; use null leaves or at most one version per model");
        }

        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), options.Scenario, options.Seed, models);
        var fresh = await StartAsync(cluster, artefacts, options, progress, cancellationToken);
        progress.Step($"{fresh.Count} roots ready after {clock.Elapsed.TotalSeconds:F0} s ({(options.NullLeaves ? "null leaves: valid scores without inference" : "real leaves")}, {options.Scenario.CandidatesPerRequest} candidates per request, {(models.Count == 0 ? $"surface '{options.Scenario.Surface}'" : $"models {string.Join(", ", models.Select(m => $"{m.Name}@{m.Version}"))}")})");

        // What one reading of its /admin/stats costs each root, taken off each window of requests.
        var roots = new List<RootUnderTest>(fresh.Count);
        foreach (var root in fresh)
        {
            roots.Add(root with { StatsReadCpu = await MeasureStatsReadCpuAsync(root.Root, cancellationToken) });
        }

        // 1. Cold start: the first requests of each fresh root, one at a time.
        var results = roots.ToDictionary(r => r, r => new RootBenchResult { Root = r.Label, Mode = r.Mode.Name, Build = r.Build, ReadySeconds = r.ReadySeconds });
        foreach (var root in roots)
        {
            results[root].StartupWarmup = await ReadStartupWarmupAsync(root.Root, cancellationToken);
            progress.Step($"start-up warm-up {root.Label}: {results[root].StartupWarmup ?? "not reported"}");
            results[root].StatsReadCpuUs = root.StatsReadCpu?.TotalMicroseconds;
            results[root].CpuSource = root.StatsReadCpu is null ? ProcCpuSource : OwnCpuSource;
            progress.Step(string.Create(CultureInfo.InvariantCulture, $"CPU of {root.Label}: {results[root].CpuSource}{(root.StatsReadCpu is { } read ? $", one reading costs it {read.TotalMicroseconds:F0} µs" : "")}"));
        }

        // The same requests for every root, in windows (tenths, so that the curve shows where the cost
        // falls: store reads that fill the cache, compilation); window k of every root before window
        // k + 1 of any, the roots' order turning each window, so that no build's cold requests
        // always come first or last while the others' background compilation runs on.
        var coldRequests = Enumerable.Range(0, options.ColdRequests).Select(_ => workload.Next()).ToList();
        var step = Math.Max(1, (coldRequests.Count + ColdCurveWindows - 1) / ColdCurveWindows);
        var cold = roots.ToDictionary(r => r, _ => (Cpu: TimeSpan.Zero, Candidates: 0L, Curve: new List<double>(), JitMs: (double?)0));
        for (var (start, turn) = (0, 0); start < coldRequests.Count; start += step, turn++)
        {
            var window = coldRequests.GetRange(start, Math.Min(step, coldRequests.Count - start));
            for (var i = 0; i < roots.Count; i++)
            {
                var root = roots[(i + turn) % roots.Count];
                var measured = await RunWindowAsync(root, window, concurrency: 1, cancellationToken);
                var (cpu, candidates, curve, jit) = cold[root];
                curve.Add(measured.CpuUsPerCandidate);
                cold[root] = (cpu + measured.Cpu, candidates + measured.Candidates, curve, jit + measured.JitMs);
            }
        }

        foreach (var root in roots)
        {
            var (cpu, candidates, curve, jit) = cold[root];
            results[root].ColdCpuUsPerCandidate = cpu.TotalMicroseconds / Math.Max(candidates, 1);
            results[root].ColdJitUsPerCandidate = jit * 1000 / Math.Max(candidates, 1);
            results[root].ColdRequests = coldRequests.Count;
            results[root].ColdCurve = [.. curve];
            var compiling = results[root].ColdJitUsPerCandidate is { } jitUs ? string.Create(CultureInfo.InvariantCulture, $" (compiling {jitUs:F1})") : "";
            progress.Step(string.Create(CultureInfo.InvariantCulture, $"cold {root.Label}: first {coldRequests.Count} requests {results[root].ColdCpuUsPerCandidate:F1} µs/candidate{compiling}; by {step} requests {string.Join(", ", curve.Select(c => c.ToString("F1", CultureInfo.InvariantCulture)))}"));
        }

        // 2. Warm-up until each root's CPU per candidate is stable.
        foreach (var root in roots)
        {
            var windows = new List<double>();
            var requestsSent = 0;
            var started = Stopwatch.GetTimestamp();
            while (true)
            {
                var window = await RunTimedWindowAsync(root, workload, options, cancellationToken);
                windows.Add(window.CpuUsPerCandidate);
                requestsSent += window.Requests;
                if (IsStable(windows) is { } settled)
                {
                    results[root].WarmupRequests = requestsSent;
                    results[root].WarmupStable = true;
                    results[root].WarmupCpuUsPerCandidate = settled;
                    break;
                }

                if (Stopwatch.GetElapsedTime(started) > options.MaxWarmup)
                {
                    results[root].WarmupRequests = requestsSent;
                    results[root].WarmupStable = false;
                    results[root].WarmupCpuUsPerCandidate = windows[^1];
                    break;
                }
            }

            progress.Step(string.Create(CultureInfo.InvariantCulture, $"warm {root.Label}: {(results[root].WarmupStable ? "stable" : "NOT stable")} after {requestsSent} requests; windows {string.Join(", ", windows.Select(w => w.ToString("F1", CultureInfo.InvariantCulture)))} µs/candidate"));
        }

        // 3. Steady state: the same requests to every root, in shuffled order, round after round.
        var shuffle = new Random(options.Seed);
        var rounds = roots.ToDictionary(r => r, _ => new List<Window>());
        var perRound = Math.Max(1, options.RequestsPerRound);
        for (var round = 0; round < options.Rounds; round++)
        {
            var requests = Enumerable.Range(0, perRound).Select(_ => workload.Next()).ToList();
            var order = roots.ToArray();
            shuffle.Shuffle(order);
            var responses = new Dictionary<RootUnderTest, ScoreResponse?[]>();
            foreach (var root in order)
            {
                var window = await RunWindowAsync(root, requests, options.Concurrency, cancellationToken);
                rounds[root].Add(window);
                responses[root] = window.Responses;
            }

            Compare(roots, responses, results);
            progress.Step(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}/{options.Rounds}: {string.Join(", ", roots.Select(r => $"{r.Label} {rounds[r][^1].CpuUsPerCandidate:F1}"))} µs/candidate"));
        }

        // 4. Idle CPU of every root at once, once the steady rounds have run (background JIT of the warm-up has settled).
        var idleBefore = roots.ToDictionary(r => r, r => r.Root.Process.CpuTime);
        var idleClock = Stopwatch.GetTimestamp();
        await Task.Delay(options.IdleTime, cancellationToken);
        var idleElapsed = Stopwatch.GetElapsedTime(idleClock);
        foreach (var root in roots)
        {
            results[root].IdleCpuUsPerSecond = (root.Root.Process.CpuTime - idleBefore[root]).TotalMicroseconds / idleElapsed.TotalSeconds;
        }

        foreach (var root in roots)
        {
            Summarise(results[root], rounds[root]);
        }

        // 5. Latency at low load: one caller, enough requests that each root's window of timed leaf
        // calls holds this phase's calls only; interleaved as the rounds are.
        if (options.LatencyRequests > 0)
        {
            await MeasureLatencyAsync(roots, workload, options, results, shuffle, cancellationToken);
            foreach (var root in roots)
            {
                var r = results[root];
                progress.Step(string.Create(CultureInfo.InvariantCulture, $"latency {root.Label}: p50 {r.LatencyP50Ms:F2} ms, leaf's own p50 {r.LeafTimeP50Ms:F3} ms, root-added p50 {r.RootAddedP50Ms:F2} ms, call overhead p50 {r.CallOverheadP50Ms:F2} ms{(r.LatencyWindowMixed ? " (window mixed with earlier calls)" : "")}"));
            }
        }

        // 6. Saturation: more callers than the root has cores, interleaved as the rounds are: slices
        // of the phase, each to every root in shuffled order.
        if (options.SaturateTime > TimeSpan.Zero)
        {
            var slices = roots.ToDictionary(r => r, _ => new List<Window>());
            for (var slice = 0; slice < SaturationSlices; slice++)
            {
                // Generated before any clock starts, so the driver's own work does not count; the same for every root.
                var pool = Enumerable.Range(0, 64).Select(_ => workload.Next()).ToArray();
                var order = roots.ToArray();
                shuffle.Shuffle(order);
                foreach (var root in order)
                {
                    slices[root].Add(await RunSaturatedAsync(root, pool, options.SaturateConcurrency, options.SaturateTime / SaturationSlices, cancellationToken));
                }
            }

            foreach (var root in roots)
            {
                var parts = slices[root];
                var window = new Window(
                    parts.Sum(w => w.Requests), parts.Sum(w => w.Candidates), parts.Sum(w => w.Errors),
                    parts.Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Cpu), parts.Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Elapsed),
                    null, null, null, [], []);
                var cores = window.Cpu.TotalSeconds / window.Elapsed.TotalSeconds;
                results[root].SaturatedCandidatesPerS = window.Candidates / window.Elapsed.TotalSeconds;
                results[root].SaturatedRootCores = cores;
                results[root].SaturatedCandidatesPerCoreS = window.Candidates / Math.Max(window.Cpu.TotalSeconds, 1e-9);
                results[root].Errors += window.Errors;
                progress.Step(string.Create(CultureInfo.InvariantCulture, $"saturate {root.Label}: {results[root].SaturatedCandidatesPerS:N0} candidates/s on {cores:F2} root cores = {results[root].SaturatedCandidatesPerCoreS:N0} candidates/s per core"));
            }
        }

        foreach (var root in roots)
        {
            var stats = await ReadCountersAsync(root.Root, cancellationToken);
            results[root].WorkingSetBytes = stats.WorkingSetBytes;
            results[root].CacheEntries = stats.CacheEntries;
            results[root].CacheBytes = stats.CacheBytes;
        }

        return new RootBenchReport
        {
            Scenario = options.Scenario.Name,
            CandidatesPerRequest = options.Scenario.CandidatesPerRequest,
            Leaves = options.NullLeaves ? "null" : "real",
            Concurrency = options.Concurrency,
            Rounds = options.Rounds,
            RequestsPerRound = perRound,
            ModelsPerRequest = options.ModelsPerRequest,
            Models = models.Count == 0 ? null : [.. models.Select(m => $"{m.Name}@{m.Version}")],
            Command = options.Command,
            Started = DateTimeOffset.UtcNow - clock.Elapsed,
            ProcessorCount = Environment.ProcessorCount,
            LoadAverageStart = loadAtStart,
            LoadAverageEnd = MachineLoad.Averages(),
            Roots = [.. roots.Select(r => results[r])],
        };
    }

    /// <summary>The median of the last three windows when they lie within <see cref="StableSpread"/> of it; otherwise null.</summary>
    public static double? IsStable(IReadOnlyList<double> windows)
    {
        if (windows.Count < 3)
        {
            return null;
        }

        double[] last = [windows[^3], windows[^2], windows[^1]];
        Array.Sort(last);
        var median = last[1];
        return last[0] >= median * (1 - StableSpread) && last[2] <= median * (1 + StableSpread) ? median : null;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void Summarise(RootBenchResult result, List<Window> rounds)
    {
        // Totals over the rounds, and the rounds' own figures for the spread (read from /proc, in
        // 10 ms ticks, a short round's figure is rough; from the root's own cpu_seconds it is not).
        var idle = result.IdleCpuUsPerSecond;
        var cpu = rounds.Sum(w => w.Cpu.TotalMicroseconds);
        var elapsed = rounds.Sum(w => w.Elapsed.TotalSeconds);
        var candidates = Math.Max(rounds.Sum(w => w.Candidates), 1);
        var net = rounds.Select(w => (w.Cpu.TotalMicroseconds - (idle * w.Elapsed.TotalSeconds)) / Math.Max(w.Candidates, 1)).ToList();
        result.SteadyCpuUsPerCandidate = cpu / candidates;
        result.SteadyNetCpuUsPerCandidate = (cpu - (idle * elapsed)) / candidates;
        result.SteadyNetMedian = Median(net);
        result.SteadyNetMin = net.Min();
        result.SteadyNetMax = net.Max();
        result.IdleShare = idle * elapsed / Math.Max(cpu, 1);
        result.ColdVsSteady = result.ColdCpuUsPerCandidate / Math.Max(result.SteadyNetCpuUsPerCandidate, 1e-9);
        var latencies = new LatencySamples();
        foreach (var window in rounds)
        {
            foreach (var ms in window.LatenciesMs)
            {
                latencies.Add(ms);
            }
        }

        result.P50Ms = latencies.Percentile(50);
        result.P99Ms = latencies.Percentile(99);
        result.SteadyRequests = rounds.Sum(w => w.Requests);
        result.SteadyJitUsPerCandidate = rounds.All(w => w.JitMs is not null) ? rounds.Sum(w => w.JitMs!.Value) * 1000 / candidates : null;
        result.Errors += rounds.Sum(w => w.Errors);
        if (rounds.All(w => w.LeafCalls is not null && w.RootRequests is > 0))
        {
            // The root's own count of leaf calls over the requests it counted: what N models per request really cost.
            result.LeafCallsPerRequest = (double)rounds.Sum(w => w.LeafCalls!.Value) / rounds.Sum(w => w.RootRequests!.Value);
        }

        if (rounds.All(w => w.AllocatedBytes is not null))
        {
            result.AllocatedBytesPerRequestByRound = [.. rounds.Select(w => (double)w.AllocatedBytes!.Value / Math.Max(w.Requests, 1))];
            result.AllocatedBytesPerRequest = Median(result.AllocatedBytesPerRequestByRound);
            result.Gen0PerKRequests = 1000.0 * rounds.Sum(w => w.Gen0!.Value) / Math.Max(result.SteadyRequests, 1);
            result.Gen2PerKRequests = 1000.0 * rounds.Sum(w => w.Gen2!.Value) / Math.Max(result.SteadyRequests, 1);
        }
    }

    private static void Compare(IReadOnlyList<RootUnderTest> roots, Dictionary<RootUnderTest, ScoreResponse?[]> responses, Dictionary<RootUnderTest, RootBenchResult> results)
    {
        var baseline = responses[roots[0]];
        foreach (var root in roots.Skip(1))
        {
            var actual = responses[root];
            for (var i = 0; i < baseline.Length; i++)
            {
                if (baseline[i] is { } expected && actual[i] is { } response)
                {
                    results[root].ScoresCompared++;
                    if (ScoreParity.FirstDifference(expected, response) is { } difference)
                    {
                        results[root].ScoreMismatches++;
                        results[root].FirstMismatch ??= difference;
                    }
                }
            }
        }
    }

    /// <summary>Slices of the saturation phase: each goes to every root in turn before the next.</summary>
    private const int SaturationSlices = 5;

    /// <summary>Slices of the latency phase: each goes to every root in turn before the next.</summary>
    private const int LatencySlices = 10;

    private sealed record Window(
        int Requests, long Candidates, int Errors, TimeSpan Cpu, TimeSpan Elapsed, long? AllocatedBytes, long? Gen0, long? Gen2, ScoreResponse?[] Responses, List<double> LatenciesMs,
        long? LeafCalls = null, long? RootRequests = null, TimedCalls? Timed = null, long? TimedCallsDuring = null, double? JitMs = null,
        IReadOnlyDictionary<string, (long Requests, double TotalMs)>? Stages = null)
    {
        public double CpuUsPerCandidate => Cpu.TotalMicroseconds / Math.Max(Candidates, 1);
    }

    /// <summary>Sends <paramref name="requests"/> with <paramref name="concurrency"/> callers and measures the root's CPU over them.</summary>
    private static async Task<Window> RunWindowAsync(RootUnderTest root, IReadOnlyList<ScoreRequest> requests, int concurrency, CancellationToken cancellationToken)
    {
        var before = await ReadCountersAsync(root.Root, cancellationToken);
        var cpuBefore = root.Root.Process.CpuTime;
        var clock = Stopwatch.GetTimestamp();
        var responses = new ScoreResponse?[requests.Count];
        var latencies = new List<double>(requests.Count);
        var next = -1;
        long candidates = 0;
        var errors = 0;
        var callers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests.Count)
            {
                var (response, ms) = await CallAsync(root, requests[i], cancellationToken);
                responses[i] = response;
                if (response is null)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }

                Interlocked.Add(ref candidates, requests[i].Candidates.Count);
                lock (latencies)
                {
                    latencies.Add(ms);
                }
            }
        });
        await Task.WhenAll(callers);
        var elapsed = Stopwatch.GetElapsedTime(clock);
        var cpu = root.Root.Process.CpuTime - cpuBefore;
        var after = await ReadCountersAsync(root.Root, cancellationToken);
        if (root.StatsReadCpu is { } read && before.CpuSeconds is { } from && after.CpuSeconds is { } to)
        {
            // From the first reading to the second: the requests, and one reading's worth of the two
            // readings' own handling (the end of the first, the start of the second).
            cpu = TimeSpan.FromSeconds(Math.Max(0, to - from - read.TotalSeconds));
        }

        return new Window(
            requests.Count, candidates, errors, cpu, elapsed,
            after.AllocatedBytes - before.AllocatedBytes, after.Gen0 - before.Gen0, after.Gen2 - before.Gen2, responses, latencies,
            after.LeafCalls - before.LeafCalls, after.Requests - before.Requests, after.Timed, after.Timed?.Calls - before.Timed?.Calls,
            after.JitMs - before.JitMs, StagesBetween(before.Stages, after.Stages));
    }

    /// <summary>Each stage's requests and time between two readings; null when either lacks them.</summary>
    private static Dictionary<string, (long Requests, double TotalMs)>? StagesBetween(
        IReadOnlyDictionary<string, (long Requests, double TotalMs)>? before, IReadOnlyDictionary<string, (long Requests, double TotalMs)>? after) =>
        before is null || after is null
            ? null
            : after.ToDictionary(s => s.Key, s => before.TryGetValue(s.Key, out var b) ? (s.Value.Requests - b.Requests, s.Value.TotalMs - b.TotalMs) : s.Value, StringComparer.Ordinal);

    /// <summary>Windows of whole batches of requests until at least <c>--window-seconds</c> have passed.</summary>
    private static async Task<Window> RunTimedWindowAsync(RootUnderTest root, ScoreWorkload workload, RootBenchOptions options, CancellationToken cancellationToken)
    {
        var cpuBefore = root.Root.Process.CpuTime;
        var clock = Stopwatch.GetTimestamp();
        int requests = 0, errors = 0;
        long candidates = 0;
        while (Stopwatch.GetElapsedTime(clock) < options.WindowTime)
        {
            var batch = Enumerable.Range(0, options.Concurrency * 4).Select(_ => workload.Next()).ToList();
            var window = await RunWindowAsync(root, batch, options.Concurrency, cancellationToken);
            requests += window.Requests;
            errors += window.Errors;
            candidates += window.Candidates;
        }

        return new Window(requests, candidates, errors, root.Root.Process.CpuTime - cpuBefore, Stopwatch.GetElapsedTime(clock), null, null, null, [], []);
    }

    /// <summary>
    /// One caller, <see cref="RootBenchOptions.LatencyRequests"/> requests to every root: the client's
    /// latency percentiles, and from the root's <c>/admin/stats</c> the p50 of its leaf calls'
    /// overhead (the root's view minus the leaf's own time) and of the leaves' own time over the most
    /// recent timed calls. Root-added latency is the client's p50 minus the leaves' own p50. The
    /// requests go in <see cref="LatencySlices"/> slices, each to every root in shuffled order, so that
    /// no root has the machine's quieter or busier minutes to itself.
    /// </summary>
    private static async Task MeasureLatencyAsync(IReadOnlyList<RootUnderTest> roots, ScoreWorkload workload, RootBenchOptions options, Dictionary<RootUnderTest, RootBenchResult> results, Random shuffle, CancellationToken cancellationToken)
    {
        var requests = Enumerable.Range(0, options.LatencyRequests).Select(_ => workload.Next()).ToList();
        var slice = Math.Max(1, (requests.Count + LatencySlices - 1) / LatencySlices);
        var windows = roots.ToDictionary(r => r, _ => new List<Window>());
        for (var start = 0; start < requests.Count; start += slice)
        {
            var part = requests.GetRange(start, Math.Min(slice, requests.Count - start));
            var order = roots.ToArray();
            shuffle.Shuffle(order);
            foreach (var root in order)
            {
                windows[root].Add(await RunWindowAsync(root, part, concurrency: 1, cancellationToken));
            }
        }

        foreach (var root in roots)
        {
            var parts = windows[root];
            var result = results[root];
            var latencies = new LatencySamples();
            foreach (var ms in parts.SelectMany(w => w.LatenciesMs))
            {
                latencies.Add(ms);
            }

            var cpu = parts.Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Cpu);
            var oneCaller = cpu.TotalMicroseconds / Math.Max(parts.Sum(w => w.Candidates), 1);
            result.LatencyRequests = parts.Sum(w => w.Requests);
            // The cold phase sends one request at a time too, and is measured the same way (gross CPU).
            result.OneCallerCpuUsPerCandidate = oneCaller;
            result.ColdVsOneCaller = result.ColdCpuUsPerCandidate / Math.Max(oneCaller, 1e-9);
            result.LatencyP50Ms = latencies.Percentile(50);
            result.LatencyMeanMs = parts.SelectMany(w => w.LatenciesMs).DefaultIfEmpty().Average();
            result.LatencyP99Ms = latencies.Percentile(99);
            result.Errors += parts.Sum(w => w.Errors);
            if (parts.All(w => w.Stages is not null))
            {
                // Each stage's mean over the phase's requests, in the root's order of stages.
                result.StageMeanMs = parts[0].Stages!.Keys.ToDictionary(
                    stage => stage,
                    stage => parts.Sum(w => w.Stages![stage].TotalMs) / Math.Max(1, parts.Sum(w => w.Stages![stage].Requests)),
                    StringComparer.Ordinal);
            }

            if (parts[^1].Timed is { } timed)
            {
                result.CallOverheadP50Ms = timed.OverheadP50;
                result.CallOverheadP99Ms = timed.OverheadP99;
                result.LeafTimeP50Ms = timed.LeafTimeP50;
                result.RootAddedP50Ms = result.LatencyP50Ms - timed.LeafTimeP50;
                // The root keeps its most recent timed calls: fewer than that in this phase means the
                // percentiles include calls of the loaded phases before it.
                result.LatencyWindowMixed = parts.Sum(w => w.TimedCallsDuring ?? 0) < timed.Window;
            }
        }
    }

    private sealed record TimedCalls(long Calls, int Window, double OverheadP50, double OverheadP99, double LeafTimeP50);

    /// <summary>The root's timed leaf calls (<c>leaf_call_overhead_ms</c>); null from builds that do not report them.</summary>
    private static TimedCalls? ReadTimedCalls(JsonElement stats) =>
        stats.TryGetProperty("leaf_calls_timed", out var calls)
        && stats.TryGetProperty("leaf_call_overhead_ms", out var overhead)
        && stats.TryGetProperty("leaf_time_ms", out var leaf)
            ? new TimedCalls(
                calls.GetInt64(),
                overhead.GetProperty("window").GetInt32(),
                overhead.GetProperty("p50").GetDouble(),
                overhead.GetProperty("p99").GetDouble(),
                leaf.GetProperty("p50").GetDouble())
            : null;

    /// <summary><paramref name="callers"/> callers, closed loop over <paramref name="pool"/>, for <paramref name="duration"/>: candidates/s and root CPU.</summary>
    private static async Task<Window> RunSaturatedAsync(RootUnderTest root, ScoreRequest[] pool, int callers, TimeSpan duration, CancellationToken cancellationToken)
    {
        var cpuBefore = root.Root.Process.CpuTime;
        var clock = Stopwatch.GetTimestamp();
        long candidates = 0;
        var errors = 0;
        var sent = -1;
        var running = Enumerable.Range(0, callers).Select(async _ =>
        {
            while (Stopwatch.GetElapsedTime(clock) < duration)
            {
                var request = pool[(Interlocked.Increment(ref sent) & int.MaxValue) % pool.Length];
                var (response, _) = await CallAsync(root, request, cancellationToken);
                if (response is null)
                {
                    Interlocked.Increment(ref errors);
                }
                else
                {
                    Interlocked.Add(ref candidates, request.Candidates.Count);
                }
            }
        });
        await Task.WhenAll(running);
        return new Window(sent + 1, candidates, errors, root.Root.Process.CpuTime - cpuBefore, Stopwatch.GetElapsedTime(clock), null, null, null, [], []);
    }

    private static async Task<(ScoreResponse? Response, double Ms)> CallAsync(RootUnderTest root, ScoreRequest request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.GetTimestamp();
        try
        {
            var response = await root.Root.Client.ScoreAsync(request, deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken).ResponseAsync;
            var failed = response.Results.Any(r => (r.Status?.Code ?? 0) != 0);
            return (failed ? null : response, Stopwatch.GetElapsedTime(clock).TotalMilliseconds);
        }
        catch (RpcException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, Stopwatch.GetElapsedTime(clock).TotalMilliseconds);
        }
    }

    /// <summary>The counters of a root's <c>/admin/stats</c> the bench uses beyond CPU (absent in builds that do not report them).</summary>
    private sealed record RootCounters(
        long? AllocatedBytes, long? Gen0, long? Gen2, long? WorkingSetBytes, long? CacheEntries, long? CacheBytes, long? Requests, long? LeafCalls, long? GcHeapBytes, TimedCalls? Timed, double? CpuSeconds, double? JitMs,
        IReadOnlyDictionary<string, (long Requests, double TotalMs)>? Stages);

    /// <summary>How <see cref="RootBenchResult.CpuSource"/> reads a root that reports its own CPU.</summary>
    public const string OwnCpuSource = "the root's own cpu_seconds (µs)";

    /// <summary>How <see cref="RootBenchResult.CpuSource"/> reads a root that does not.</summary>
    public const string ProcCpuSource = "/proc (10 ms ticks)";

    // Readings of /admin/stats in a row for MeasureStatsReadCpuAsync; the first few only warm the endpoint.
    private const int StatsReadings = 16;
    private const int StatsWarmReadings = 4;

    /// <summary>
    /// What one reading of <c>/admin/stats</c> costs the root: the median CPU between consecutive
    /// readings of its <c>cpu_seconds</c> with nothing else sent to it (each span holds the end of one
    /// reading's handling and the start of the next's: one reading). Null when the root does not
    /// report its CPU.
    /// </summary>
    private static async Task<TimeSpan?> MeasureStatsReadCpuAsync(RootProcess root, CancellationToken cancellationToken)
    {
        var readings = new List<double>(StatsReadings);
        for (var i = 0; i < StatsReadings; i++)
        {
            if ((await ReadCountersAsync(root, cancellationToken)).CpuSeconds is not { } seconds)
            {
                return null;
            }

            readings.Add(seconds);
        }

        var spans = readings.Skip(StatsWarmReadings).Zip(readings.Skip(StatsWarmReadings + 1), (a, b) => b - a).ToList();
        return TimeSpan.FromSeconds(Math.Max(0, Median(spans)));
    }

    private static async Task<RootCounters> ReadCountersAsync(RootProcess root, CancellationToken cancellationToken)
    {
        using var json = await ReadStatsAsync(root, cancellationToken);
        long? Read(string name) => json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;
        double? ReadDouble(string name) => json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
        return new RootCounters(
            Read("allocated_bytes"), Read("gc_gen0_collections"), Read("gc_gen2_collections"), Read("working_set_bytes"), Read("cache_entries"), Read("cache_bytes"),
            Read("requests"), Read("trimmed_calls") + Read("untrimmed_calls"), Read("gc_heap_bytes"), ReadTimedCalls(json.RootElement),
            ReadDouble("cpu_seconds"), ReadDouble("jit_time_ms"), ReadStages(json.RootElement));
    }

    /// <summary>Each stage's requests and total time since start (<c>stages</c>, in the root's order); null from builds that do not report them.</summary>
    private static Dictionary<string, (long Requests, double TotalMs)>? ReadStages(JsonElement stats)
    {
        if (!stats.TryGetProperty("stages", out var stages) || stages.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var read = new Dictionary<string, (long, double)>(StringComparer.Ordinal);
        foreach (var stage in stages.EnumerateObject())
        {
            read[stage.Name] = (stage.Value.GetProperty("requests").GetInt64(), stage.Value.GetProperty("total_ms").GetDouble());
        }

        return read;
    }

    /// <summary>The root's <c>/admin/stats</c>, read once per reading.</summary>
    private static async Task<JsonDocument> ReadStatsAsync(RootProcess root, CancellationToken cancellationToken)
    {
        await using var stream = await root.Admin.GetStreamAsync(new Uri("/admin/stats", UriKind.Relative), cancellationToken);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
    }

    /// <summary>How the root's own start-up warm-up ended (its <c>/admin/stats</c> <c>warmup</c>), or null for a build without one.</summary>
    private static async Task<string?> ReadStartupWarmupAsync(RootProcess root, CancellationToken cancellationToken)
    {
        using var json = await ReadStatsAsync(root, cancellationToken);
        if (!json.RootElement.TryGetProperty("warmup", out var warmup) || warmup.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var path = warmup.TryGetProperty("path", out var p) ? $", over {p.GetString()}" : "";
        var cost = warmup.TryGetProperty("cpu_us_per_candidate", out var c) ? string.Join(" ", c.EnumerateArray().Select(v => v.GetDouble().ToString("F0", CultureInfo.InvariantCulture))) : "";
        var jit = warmup.TryGetProperty("jit_compiled_methods", out var j) ? string.Join(" ", j.EnumerateArray().Select(v => v.GetInt64().ToString(CultureInfo.InvariantCulture))) : "";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{warmup.GetProperty("outcome").GetString()}: {warmup.GetProperty("requests").GetInt32()} requests ({warmup.GetProperty("failed").GetInt32()} failed) in {warmup.GetProperty("seconds").GetDouble():F1} s{path}; µs/candidate by window: {cost}; methods compiled by window: {jit}");
    }

    /// <summary>A root process under test: a fan-out mode served by one build with one environment.</summary>
    /// <param name="ReadySeconds">From the start of all the roots (with <see cref="RootBenchOptions.StartInTurn"/>, of this one) to its first ready <c>/readyz</c>.</param>
    /// <param name="StatsReadCpu">What one reading of the root's <c>/admin/stats</c> costs it; null: its windows read <c>/proc</c>.</param>
    private sealed record RootUnderTest(string Label, string Build, BenchMode Mode, RootProcess Root, double ReadySeconds = 0, TimeSpan? StatsReadCpu = null);

    /// <summary>The bench's child processes, stopped roots first.</summary>
    private sealed class Processes : IAsyncDisposable
    {
        public List<RootProcess> Roots { get; } = [];

        public List<ManagedProcess> Leaves { get; } = [];

        public async ValueTask DisposeAsync()
        {
            await Task.WhenAll(Roots.Select(r => r.DisposeAsync().AsTask()));
            await Task.WhenAll(Leaves.Select(l => l.DisposeAsync().AsTask()));
        }
    }

    /// <summary>One null or real leaf per partition, ready; their gRPC addresses by partition.</summary>
    /// <param name="build">With <see cref="RootBenchOptions.LeavesPerBuild"/>: the build whose null leaves these are (its assembly and environment); null: the current build's, shared by every root.</param>
    private static async Task<Dictionary<string, Uri>> StartLeavesAsync(
        Processes cluster, SampleArtefacts artefacts, RootBenchOptions options, ArborExecutable executable, PortAllocator ports, HttpClient probe, BenchProgress progress, CancellationToken cancellationToken, RootBuild? build = null)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        var leafByPartition = new Dictionary<string, Uri>(StringComparer.Ordinal);
        var ready = new List<(ManagedProcess Process, Uri Url)>();
        foreach (var partition in artefacts.Partitions.Partitions.Keys.Order(StringComparer.Ordinal))
        {
            var grpc = ports.Next();
            var http = ports.Next();
            ManagedProcess process;
            if (options.NullLeaves)
            {
                process = StartOfBuild(
                    build is null ? $"null-leaf/{partition}" : $"null-leaf/{partition}@{build.Name}",
                    executable,
                    build,
                    ["bench", "null-leaf", "--manifest", Path.Combine(artefacts.Repository, Signatures.Bundles.PartitionManifest.FileName), "--partition", partition, "--grpc", $"127.0.0.1:{grpc}", "--http", $"127.0.0.1:{http}"]);
            }
            else
            {
                var config = Path.Combine(options.WorkDirectory, $"leaf-{partition}.json");
                await File.WriteAllTextAsync(config, ServingCluster.LeafConfigJson(artefacts, partition, "127.0.0.1", grpc, http), cancellationToken);
                process = StartOfBuild($"leaf/{partition}", executable, null, ["leaf", "--config", config]);
            }

            cluster.Leaves.Add(process);
            leafByPartition[partition] = new Uri($"http://127.0.0.1:{grpc}");
            ready.Add((process, new Uri($"http://127.0.0.1:{http}/readyz")));
        }

        progress.Step($"starting {leafByPartition.Count} {(options.NullLeaves ? "null " : "")}leaves{(build is null ? "" : $" of build {build.Name}")}");
        await Task.WhenAll(ready.Select(l => l.Process.WaitUntilReadyAsync(probe, l.Url, ReadyTimeout, cancellationToken)));
        return leafByPartition;
    }


    private static async Task<List<RootUnderTest>> StartAsync(Processes cluster, SampleArtefacts artefacts, RootBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        var executable = ArborExecutable.Current();
        var ports = new PortAllocator();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var sharedLeaves = options.LeavesPerBuild ? null : await StartLeavesAsync(cluster, artefacts, options, executable, ports, probe, progress, cancellationToken);
        var roots = new List<RootUnderTest>();
        var readySeconds = new List<double>();
        foreach (var build in options.Builds)
        {
            var leafByPartition = sharedLeaves ?? await StartLeavesAsync(cluster, artefacts, options, executable, ports, probe, progress, cancellationToken, build);
            foreach (var mode in options.Modes)
            {
                var label = options.Builds.Count == 1 ? mode.Name : $"{mode.Name}@{build.Name}";
                var config = Path.Combine(options.WorkDirectory, $"root-{mode.Slug}-{build.Name}.json");
                var routing = ServingCluster.RootConfigFor(artefacts, mode, leafByPartition) with { Limits = ServingCluster.BenchLimits };
                if (build.Preload)
                {
                    routing = routing with { Warmup = routing.Warmup with { PreloadFile = await WritePreloadFileAsync(artefacts, options.WorkDirectory, cancellationToken) } };
                }

                if (build.ConnectionsPerReplica is { } connections)
                {
                    routing = routing with { FanOut = routing.FanOut with { ConnectionsPerReplica = connections } };
                }

                var json = RootConfigLoader.Serialize(routing);
                await File.WriteAllTextAsync(config, build.Assembly is null || routing.Warmup != new WarmupConfig() ? json : WithoutWarmup(json), cancellationToken);
                var root = StartRoot(executable, build, mode, label, config, ports, adminListener: true);
                cluster.Roots.Add(root);
                roots.Add(new RootUnderTest(label, build.Name, mode, root));
                readySeconds.Add(0);
                if (options.StartInTurn)
                {
                    progress.Step($"starting root {label}");
                    await WaitReadyAsync(roots.Count - 1, Stopwatch.StartNew());
                }
            }
        }

        if (!options.StartInTurn)
        {
            progress.Step($"starting {roots.Count} roots ({string.Join(", ", roots.Select(r => r.Label))})");

            // Every root is waited for at once, so that each one's time to ready is its own.
            var started = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, roots.Count).Select(i => WaitReadyAsync(i, started)));
        }

        for (var i = 0; i < roots.Count; i++)
        {
            roots[i] = roots[i] with { ReadySeconds = readySeconds[i] };
        }

        return roots;

        async Task WaitReadyAsync(int i, Stopwatch started)
        {
            var root = roots[i];
            try
            {
                await root.Root.Process.WaitUntilReadyAsync(probe, new Uri(root.Root.AdminAddress, "/readyz"), ReadyTimeout, cancellationToken);
            }
            catch (InvalidOperationException) when (options.Builds.First(b => b.Name == root.Build).Assembly is not null && root.Root.Process.Output.Contains("--admin", StringComparison.Ordinal))
            {
                // A build from before the admin listener: health and admin are on its HTTP listener.
                var build = options.Builds.First(b => b.Name == root.Build);
                var again = StartRoot(executable, build, root.Mode, root.Label, root.Root.ConfigPath, ports, adminListener: false);
                lock (cluster.Roots)
                {
                    cluster.Roots.Add(again);
                }

                roots[i] = root with { Root = again };
                await again.Process.WaitUntilReadyAsync(probe, new Uri(again.AdminAddress, "/readyz"), ReadyTimeout, cancellationToken);
            }

            readySeconds[i] = started.Elapsed.TotalSeconds;
        }
    }

    /// <summary>Every user and candidate of the workload's feature file, as <c>warmup.preload_file</c> reads them.</summary>
    private static async Task<string> WritePreloadFileAsync(SampleArtefacts artefacts, string workDirectory, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(Path.Combine(workDirectory, "preload.tsv"));
        var (users, candidates) = ScoreWorkload.ReadIds(Path.Combine(artefacts.Repository, "features.jsonl"));
        await File.WriteAllLinesAsync(path, users.Select(u => $"user\t{u}").Concat(candidates.Select(c => $"candidate\t{c}")), cancellationToken);
        return path;
    }

    /// <summary>
    /// The config without its <c>warmup</c> section (given only when that is the default): a build from
    /// before the warm-up refuses a section it does not know, and one that knows it warms up the same without it.
    /// </summary>
    private static string WithoutWarmup(string json)
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        config.Remove("warmup");
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static RootProcess StartRoot(ArborExecutable executable, RootBuild build, BenchMode mode, string label, string config, PortAllocator ports, bool adminListener)
    {
        var grpc = $"127.0.0.1:{ports.Next()}";
        var http = $"127.0.0.1:{ports.Next()}";
        var admin = adminListener ? $"127.0.0.1:{ports.Next()}" : http;
        List<string> arguments = ["root", "--config", config, "--grpc", grpc, "--http", http];
        if (adminListener)
        {
            arguments.AddRange(["--admin", admin]);
        }

        var process = StartOfBuild($"root/{label}", executable, build, arguments);
        return new RootProcess(mode, process, new Uri($"http://{grpc}"), new Uri($"http://{http}"), new Uri($"http://{admin}"), config);
    }

    /// <summary>
    /// Starts an <c>arbor</c> command of <paramref name="build"/> (its assembly under <c>dotnet</c>, or
    /// this executable; quiet logs and the build's environment), or of this build when null.
    /// </summary>
    private static ManagedProcess StartOfBuild(string name, ArborExecutable executable, RootBuild? build, IEnumerable<string> arguments)
    {
        var environment = new Dictionary<string, string>(QuietLogs, StringComparer.Ordinal);
        foreach (var (key, value) in build?.Environment ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return build?.Assembly is { } assembly
            ? ManagedProcess.Start(name, "dotnet", [assembly, .. arguments], environment: environment)
            : ManagedProcess.Start(name, executable.FileName, executable.With(arguments), environment: environment);
    }

    /// <summary>The report as a table.</summary>
    public static string Format(RootBenchReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        if (report.Memory is { } memory)
        {
            return FormatMemory(report, memory);
        }

        var models = report.Models is { } named ? $"{named.Count} models/request ({string.Join(", ", named)})" : "surface routing";
        text.AppendLine(string.Create(inv, $"root CPU, scenario {report.Scenario} ({report.CandidatesPerRequest} candidates/request, {models}), {report.Leaves} leaves, {report.Concurrency} callers, {report.Rounds} rounds × {report.RequestsPerRound} requests, {report.ProcessorCount} cores, load average {report.LoadAverageStart} → {report.LoadAverageEnd}"));
        text.AppendLine("CPU of the cold, steady and latency windows: " + string.Join("; ", report.Roots.Select(r =>
            string.Create(inv, $"{r.Root} {r.CpuSource ?? ProcCpuSource}{(r.StatsReadCpuUs is { } read ? $", less {read:F0} µs per window (one /admin/stats reading)" : "")}"))));
        if (report.Roots.Any(r => r.ColdJitUsPerCandidate is not null))
        {
            text.AppendLine("of which compiling methods (the root's JIT time, every thread), µs/cand: " + string.Join("; ", report.Roots.Select(r =>
                string.Create(inv, $"{r.Root} cold {r.ColdJitUsPerCandidate?.ToString("F1", inv) ?? "-"}, steady {r.SteadyJitUsPerCandidate?.ToString("F2", inv) ?? "-"}"))));
        }

        var latencyTable = "";
        text.AppendLine("| root | ready s | cold µs/cand (first N) | cold/steady | warm-up requests | steady µs/cand | net of idle µs/cand (rounds median, min–max) | idle share | leaf calls/request | alloc KB/request | gen2 per 1k req | p50 ms | p99 ms | sat cand/s | sat cand/s per core | parity |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        if (report.Roots.Any(r => r.LatencyP50Ms is not null))
        {
            var latency = new StringBuilder();
            latency.AppendLine(string.Create(inv, $"latency, one caller, {report.Roots.Max(r => r.LatencyRequests)} requests per root:"));
            latency.AppendLine("| root | p50 ms | p99 ms | leaf's own p50 ms | root-added p50 ms | root→leaf call overhead p50 ms | overhead p99 ms | µs/cand, one caller | cold/one caller |");
            latency.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in report.Roots)
            {
                latency.AppendLine(string.Create(inv,
                    $"| {r.Root} | {r.LatencyP50Ms:F2} | {r.LatencyP99Ms:F2} | {r.LeafTimeP50Ms:F3} | {r.RootAddedP50Ms:F2} | {r.CallOverheadP50Ms:F2}{(r.LatencyWindowMixed ? " (mixed)" : "")} | {r.CallOverheadP99Ms:F2} | {r.OneCallerCpuUsPerCandidate:F1} | {r.ColdVsOneCaller:F1}× |"));
            }

            if (report.Roots.FirstOrDefault(r => r.StageMeanMs is not null)?.StageMeanMs is { } stageNames)
            {
                latency.AppendLine("where one caller's requests spent their time at the root, mean ms per request (its stages; the rest of the client's time is the call to the root and the answer's writing):");
                latency.AppendLine($"| root | {string.Join(" | ", stageNames.Keys)} | stages together |");
                latency.AppendLine($"|---|{string.Concat(stageNames.Keys.Select(_ => "---:|"))}---:|");
                foreach (var r in report.Roots.Where(r => r.StageMeanMs is not null))
                {
                    latency.AppendLine(string.Create(inv, $"| {r.Root} | {string.Join(" | ", stageNames.Keys.Select(k => r.StageMeanMs!.TryGetValue(k, out var ms) ? ms.ToString("F2", inv) : "-"))} | {r.StageMeanMs!.Values.Sum():F2} |"));
                }
            }

            latencyTable = latency.ToString();
        }

        foreach (var r in report.Roots)
        {
            var parity = r.ScoresCompared == 0 ? "baseline" : r.ScoreMismatches == 0 ? $"100% ({r.ScoresCompared})" : $"{1 - ((double)r.ScoreMismatches / r.ScoresCompared):P1}";
            text.AppendLine(string.Create(inv,
                $"| {r.Root} | {r.ReadySeconds:F1} | {r.ColdCpuUsPerCandidate:F1} ({r.ColdRequests}) | {r.ColdVsSteady:F1}× | {r.WarmupRequests}{(r.WarmupStable ? "" : " (not stable)")} | {r.SteadyCpuUsPerCandidate:F1} | {r.SteadyNetCpuUsPerCandidate:F1} ({r.SteadyNetMedian:F1}, {r.SteadyNetMin:F1}–{r.SteadyNetMax:F1}) | {r.IdleShare:P0} | {Calls(r.LeafCallsPerRequest)} | {Kb(r.AllocatedBytesPerRequest)} | {Per(r.Gen2PerKRequests)} | {r.P50Ms:F1} | {r.P99Ms:F1} | {N(r.SaturatedCandidatesPerS)} | {N(r.SaturatedCandidatesPerCoreS)} | {parity}{(r.Errors > 0 ? $", {r.Errors} errors" : "")} |"));
        }

        return text.Append(latencyTable).ToString();

        static string Kb(double? bytes) => bytes is { } b ? (b / 1024).ToString("N1", CultureInfo.InvariantCulture) : "n/a";
        static string Calls(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a";
        static string Per(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "n/a";
        static string N(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";
    }
}

/// <summary>
/// A root build to measure: the current one, or another build's <c>arbor.dll</c>, with extra
/// environment variables; with <paramref name="Preload"/>, its config names a <c>warmup.preload_file</c>
/// of every user and candidate of the workload (<c>--preload</c>); with <paramref name="ConnectionsPerReplica"/>,
/// its config sets <c>fan_out.connections_per_replica</c> (<c>--connections</c>).
/// </summary>
public sealed record RootBuild(string Name, string? Assembly, IReadOnlyDictionary<string, string> Environment, bool Preload = false, int? ConnectionsPerReplica = null)
{
    /// <summary>The current build with <c>fan_out.connections_per_replica</c> set to <paramref name="connections"/>.</summary>
    public static RootBuild WithConnections(int connections) =>
        new(string.Create(CultureInfo.InvariantCulture, $"conn{connections}"), null, new Dictionary<string, string>(), ConnectionsPerReplica: connections);

    /// <summary>The current build, its cache filled with the workload's entities before it is ready.</summary>
    public static RootBuild Preloaded { get; } = new("preload", null, new Dictionary<string, string>(), Preload: true);

    public static RootBuild Current { get; } = new("current", null, new Dictionary<string, string>());

    /// <summary>Parses <c>NAME=KEY:VALUE,KEY:VALUE</c> (<c>--variant</c>): the current build with extra environment variables.</summary>
    /// <exception cref="ArgumentException">The text is not of that form.</exception>
    public static RootBuild ParseVariant(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (name, settings) = Split(spec);
        var environment = settings.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => Split(s.Replace(':', '='))).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        return new RootBuild(name, null, environment);

        static (string Name, string Value) Split(string text)
        {
            var at = text.IndexOf('=', StringComparison.Ordinal);
            return at > 0 && at < text.Length - 1
                ? (text[..at], text[(at + 1)..])
                : throw new ArgumentException($"--variant takes NAME=KEY:VALUE,KEY:VALUE, not '{text}'");
        }
    }
}

public sealed record RootBenchOptions
{
    public required BenchScenario Scenario { get; init; }

    public required IReadOnlyList<BenchMode> Modes { get; init; }

    public IReadOnlyList<RootBuild> Builds { get; init; } = [RootBuild.Current];

    /// <summary>
    /// Whether each build's roots call null leaves of their own build (its assembly and environment),
    /// so that builds are compared with their whole RPC stack, server side included. False: every
    /// root calls the same leaves, of the current build.
    /// </summary>
    public bool LeavesPerBuild { get; init; }

    /// <summary>
    /// True: each root is started once the one before it is ready, so that its start-up warm-up has
    /// the machine to itself; its ready time is then from its own start. False: every root starts
    /// at once (on a small machine their warm-ups then share its cores and may end at their cap).
    /// </summary>
    public bool StartInTurn { get; init; }

    public bool NullLeaves { get; init; } = true;

    public int Concurrency { get; init; } = 4;

    public int ColdRequests { get; init; } = 100;

    public TimeSpan WindowTime { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan MaxWarmup { get; init; } = TimeSpan.FromSeconds(90);

    public TimeSpan IdleTime { get; init; } = TimeSpan.FromSeconds(5);

    public int Rounds { get; init; } = 8;

    public int RequestsPerRound { get; init; } = 50;

    public TimeSpan SaturateTime { get; init; } = TimeSpan.Zero;

    /// <summary>Requests per root in the latency phase (one caller); 0: none.</summary>
    public int LatencyRequests { get; init; }

    public int SaturateConcurrency { get; init; } = 8;

    public int Seed { get; init; } = 7;

    /// <summary>Every request names this many models (<see cref="BenchScenario.ModelsPerRequest"/>) instead of the scenario's surface.</summary>
    public int? ModelsPerRequest { get; init; }

    /// <summary>When not empty, only the memory phase runs: a root's memory at rest with this many entities cached, in rising order.</summary>
    public IReadOnlyList<int> CachedEntities { get; init; } = [];

    public required string WorkDirectory { get; init; }

    public string Command { get; init; } = "";
}

public sealed record RootBenchReport
{
    public string Schema { get; init; } = "arbor.bench.root/v1";

    public required string Scenario { get; init; }

    public int CandidatesPerRequest { get; init; }

    public required string Leaves { get; init; }

    public int Concurrency { get; init; }

    public int Rounds { get; init; }

    public int RequestsPerRound { get; init; }

    public int ProcessorCount { get; init; }

    /// <summary>Models every request named (<c>--models</c>); null when requests named the scenario's surface.</summary>
    public int? ModelsPerRequest { get; init; }

    /// <summary>The models (name@version) every request named.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    public string Command { get; init; } = "";

    public DateTimeOffset Started { get; init; }

    /// <summary>The machine's load averages (1, 5, 15 min) when the run started and when it ended.</summary>
    public string LoadAverageStart { get; init; } = "";

    public string LoadAverageEnd { get; init; } = "";

    public required IReadOnlyList<RootBenchResult> Roots { get; init; }

    /// <summary>The memory phase (<c>--cached-entities</c>): one root at rest after each level, in rising order.</summary>
    public IReadOnlyList<RootMemoryLevel>? Memory { get; init; }
}

public sealed class RootBenchResult
{
    public required string Root { get; init; }

    public required string Mode { get; init; }

    public required string Build { get; init; }

    /// <summary>Seconds from the start of the roots to this root's first ready answer (they start together, so they share the cores).</summary>
    public double ReadySeconds { get; init; }

    /// <summary>How the root's own start-up warm-up ended (outcome, requests, seconds, path), or null when its build reports none.</summary>
    public string? StartupWarmup { get; set; }

    /// <summary>
    /// Where the CPU of the windows of requests (cold, rounds, latency) comes from:
    /// <see cref="RootBench.OwnCpuSource"/> or <see cref="RootBench.ProcCpuSource"/>.
    /// </summary>
    public string? CpuSource { get; set; }

    /// <summary>What one reading of <c>/admin/stats</c> costs the root (taken off each window it reads), in µs; null when it does not report its CPU.</summary>
    public double? StatsReadCpuUs { get; set; }

    public double ColdCpuUsPerCandidate { get; set; }

    /// <summary>
    /// Of <see cref="ColdCpuUsPerCandidate"/>, the runtime's time compiling methods (its
    /// <c>jit_time_ms</c>, every thread, background tier-1 compilation included), per candidate; null
    /// when the build does not report it.
    /// </summary>
    public double? ColdJitUsPerCandidate { get; set; }

    /// <summary>The same over the steady rounds.</summary>
    public double? SteadyJitUsPerCandidate { get; set; }

    public int ColdRequests { get; set; }

    /// <summary>The cold requests' root CPU per candidate in tenths (request order), each measured alone.</summary>
    public double[] ColdCurve { get; set; } = [];

    public int WarmupRequests { get; set; }

    public bool WarmupStable { get; set; }

    public double WarmupCpuUsPerCandidate { get; set; }

    public double IdleCpuUsPerSecond { get; set; }

    public double IdleShare { get; set; }

    public double SteadyCpuUsPerCandidate { get; set; }

    /// <summary>Cold-start CPU per candidate over steady (net of idle).</summary>
    public double ColdVsSteady { get; set; }

    public double SteadyNetCpuUsPerCandidate { get; set; }

    /// <summary>The median of the rounds' CPU per candidate net of idle.</summary>
    public double SteadyNetMedian { get; set; }

    public double SteadyNetMin { get; set; }

    public double SteadyNetMax { get; set; }

    public int SteadyRequests { get; set; }

    public double P50Ms { get; set; }

    public double P99Ms { get; set; }

    /// <summary>Leaf calls the root made per request it counted, over the steady rounds (its <c>/admin/stats</c>).</summary>
    public double? LeafCallsPerRequest { get; set; }

    /// <summary>The median over the steady rounds of <see cref="AllocatedBytesPerRequestByRound"/>.</summary>
    public double? AllocatedBytesPerRequest { get; set; }

    /// <summary>Bytes the root allocated per request in each steady round, in order.</summary>
    public double[]? AllocatedBytesPerRequestByRound { get; set; }

    public double? Gen0PerKRequests { get; set; }

    public double? Gen2PerKRequests { get; set; }

    /// <summary>Requests of the latency phase (one caller).</summary>
    public int LatencyRequests { get; set; }

    /// <summary>Root CPU per candidate in the latency phase (one caller, as in the cold phase).</summary>
    public double? OneCallerCpuUsPerCandidate { get; set; }

    /// <summary>Cold-start CPU per candidate over <see cref="OneCallerCpuUsPerCandidate"/>: both one request at a time.</summary>
    public double? ColdVsOneCaller { get; set; }

    /// <summary>Client-observed p50 in the latency phase.</summary>
    public double? LatencyP50Ms { get; set; }

    public double? LatencyP99Ms { get; set; }

    /// <summary>The client's mean time per request in the latency phase.</summary>
    public double? LatencyMeanMs { get; set; }

    /// <summary>The leaves' own time (their answers' <c>leaf_time_us</c>), p50 over the root's most recent timed calls.</summary>
    public double? LeafTimeP50Ms { get; set; }

    /// <summary>What the root adds: the client's p50 minus the leaves' own p50.</summary>
    public double? RootAddedP50Ms { get; set; }

    /// <summary>Root→leaf call overhead (the root's view minus the leaf's own time), p50 and p99 over the root's most recent timed calls.</summary>
    public double? CallOverheadP50Ms { get; set; }

    public double? CallOverheadP99Ms { get; set; }

    /// <summary>Where the latency phase's requests spent their time at the root: each stage's mean (ms per request), from its <c>/admin/stats</c> <c>stages</c>.</summary>
    public IReadOnlyDictionary<string, double>? StageMeanMs { get; set; }

    /// <summary>The latency phase made fewer timed calls than the root's window holds, so its figures include earlier calls.</summary>
    public bool LatencyWindowMixed { get; set; }

    public double? SaturatedCandidatesPerS { get; set; }

    public double? SaturatedRootCores { get; set; }

    public double? SaturatedCandidatesPerCoreS { get; set; }

    public long? WorkingSetBytes { get; set; }

    public long? CacheEntries { get; set; }

    public long? CacheBytes { get; set; }

    public int ScoresCompared { get; set; }

    public int ScoreMismatches { get; set; }

    public string? FirstMismatch { get; set; }

    public int Errors { get; set; }
}
