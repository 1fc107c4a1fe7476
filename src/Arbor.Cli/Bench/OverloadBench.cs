using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Grpc.Core;

namespace Arbor.Cli.Bench;

/// <summary>
/// <c>arbor bench --scenario overload</c>: one root (trimmed) and the two sample leaves as processes,
/// with the limits served to people (1 s deadline, 800 ms leaf timeout) and default admission
/// control. A closed-loop run measures the maximum goodput and the sustainable request rate; then
/// each load level offers a multiple of that rate open-loop (every request with a 1 s deadline),
/// counting what succeeded, what admission control refused, what ran out of time, and the root's
/// resident set; the set is read again a while after the load stops. With variants (runtime settings
/// such as GC modes), one more root per variant runs behind the same leaves and every load level goes
/// to each root in turn, in a freshly shuffled order per round, so their figures come from one run.
/// </summary>
public static class OverloadBench
{
    private static readonly TimeSpan RssSampleInterval = TimeSpan.FromMilliseconds(250);
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static async Task<OverloadReport> RunAsync(OverloadBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var repository = RepositoryLocator.Find();
        var artefacts = await SampleArtefacts.EnsureAsync(repository, options.WorkDirectory, progress.Step, cancellationToken);
        await using var cluster = await ServingCluster.StartAsync(
            artefacts, [BenchMode.Trimmed], LeafLayout.Shared, ClusterPlacement.Loopback, options.WorkDirectory, progress.Step, cancellationToken,
            limits: ServingCluster.InteractiveLimits, rootEnvironment: options.RootEnvironment);
        var first = cluster.RootOf(BenchMode.Trimmed);
        var roots = new List<(string Name, IReadOnlyDictionary<string, string> Environment, RootProcess Process)> { ("current", options.RootEnvironment, first) };
        try
        {
            roots.AddRange(await StartVariantsAsync(first, options, progress, cancellationToken));
            return await RunCoreAsync(roots, artefacts, options, progress, cancellationToken);
        }
        finally
        {
            await Task.WhenAll(roots.Skip(1).Select(r => r.Process.DisposeAsync().AsTask()));
        }
    }

    private static async Task<OverloadReport> RunCoreAsync(
        List<(string Name, IReadOnlyDictionary<string, string> Environment, RootProcess Process)> roots, SampleArtefacts artefacts, OverloadBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        var scenario = BenchScenario.Reference with { CandidatesPerRequest = options.CandidatesPerRequest };
        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), scenario, options.Seed);
        var baselines = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, _, root) in roots)
        {
            progress.Step($"warming up {name} for 5 s (one request at a time)");
            await RunClosedLoopAsync(root, workload, 1, TimeSpan.FromSeconds(5), options.Deadline, cancellationToken);
            baselines[name] = ProcessMemory.ResidentBytes(root.Process.Id);
        }

        // The capacity of the first root sets the rate every root is offered, so all see the same load.
        var capacityRoot = roots[0].Process;
        progress.Step($"measuring capacity for {options.CapacityDuration.TotalSeconds:F0} s with {options.CapacityCallers} callers");
        var capacity = await RunClosedLoopAsync(capacityRoot, workload, options.CapacityCallers, options.CapacityDuration, options.Deadline, cancellationToken);
        var sustainable = capacity.Succeeded / capacity.Elapsed.TotalSeconds;
        var maxGoodput = capacity.SucceededCandidates / capacity.Elapsed.TotalSeconds;
        if (sustainable <= 0)
        {
            throw new InvalidOperationException($"no request succeeded in the capacity run: {capacity.Partial} with failed models, {capacity.Rejected} refused, {capacity.DeadlineExceeded} past their deadline, {capacity.Other} other failures ({capacity.LastError})");
        }

        progress.Step(string.Create(CultureInfo.InvariantCulture, $"capacity: {sustainable:F1} requests/s, {maxGoodput:F0} candidates/s"));

        // Every other root gets the same normal load, then all rest as long as they will after the
        // overload: the resident set to come back to is a warm root's at rest, not a fresh one's.
        var lastNormal = new Dictionary<string, long>(StringComparer.Ordinal) { [roots[0].Name] = Stopwatch.GetTimestamp() };
        foreach (var (name, _, root) in roots.Skip(1))
        {
            progress.Step($"normal load to {name} for {options.CapacityDuration.TotalSeconds:F0} s with {options.CapacityCallers} callers");
            await RunClosedLoopAsync(root, workload, options.CapacityCallers, options.CapacityDuration, options.Deadline, cancellationToken);
            lastNormal[name] = Stopwatch.GetTimestamp();
        }

        progress.Step($"reading each root's memory {options.Settle.TotalSeconds:F0} s after its normal load");
        var rest = await ReadAtRestAsync(roots, lastNormal, options.Settle, cancellationToken);
        var phases = new List<OverloadPhase>();
        var lastLoad = new Dictionary<string, long>(StringComparer.Ordinal);
        var shuffle = new Random(options.Seed);
        foreach (var factor in options.Factors)
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                var order = roots.ToArray();
                shuffle.Shuffle(order);
                foreach (var (name, _, root) in order)
                {
                    var rate = sustainable * factor;
                    progress.Step(string.Create(CultureInfo.InvariantCulture, $"{factor:0.#}× to {name} (round {round}): offering {rate:F1} requests/s for {options.PhaseDuration.TotalSeconds:F0} s"));
                    phases.Add(await RunOpenLoopAsync(root, name, round, workload, options.CandidatesPerRequest, factor, rate, options.PhaseDuration, options.Deadline, cancellationToken));
                    lastLoad[name] = Stopwatch.GetTimestamp();
                }
            }
        }

        // Each root's memory is read the same time after its own last load, idle since.
        progress.Step($"load stopped; reading each root's memory {options.Settle.TotalSeconds:F0} s after its last load");
        var after = await ReadAtRestAsync(roots, lastLoad, options.Settle, cancellationToken);
        var reports = roots.Select(r => new OverloadRoot(r.Name, r.Environment, baselines[r.Name], rest[r.Name], after[r.Name])).ToList();
        return new OverloadReport(maxGoodput, sustainable, phases, reports, options.Settle.TotalSeconds, options.Rounds, MachineLoad.Averages());
    }

    /// <summary>Each root's resident set <paramref name="settle"/> after its own last load (idle since).</summary>
    private static async Task<Dictionary<string, long>> ReadAtRestAsync(
        List<(string Name, IReadOnlyDictionary<string, string> Environment, RootProcess Process)> roots, Dictionary<string, long> lastLoad, TimeSpan settle, CancellationToken cancellationToken)
    {
        var resident = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, _, root) in roots.OrderBy(r => lastLoad[r.Name]))
        {
            var wait = settle - Stopwatch.GetElapsedTime(lastLoad[name]);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            resident[name] = ProcessMemory.ResidentBytes(root.Process.Id);
        }

        return resident;
    }

    /// <summary>One more root per variant, on the first root's config (the same leaves), each with its own environment.</summary>
    private static async Task<List<(string Name, IReadOnlyDictionary<string, string> Environment, RootProcess Process)>> StartVariantsAsync(
        RootProcess first, OverloadBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        var started = new List<(string, IReadOnlyDictionary<string, string>, RootProcess)>();
        if (options.Variants.Count == 0)
        {
            return started;
        }

        progress.Step($"starting {options.Variants.Count} more roots: {string.Join(", ", options.Variants.Select(v => v.Name))}");
        var executable = ArborExecutable.Current();
        var ports = new PortAllocator();
        foreach (var variant in options.Variants)
        {
            var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["Logging__LogLevel__Default"] = "Warning" };
            foreach (var (key, value) in variant.Environment)
            {
                environment[key] = value;
            }

            var (grpc, http, admin) = ($"127.0.0.1:{ports.Next()}", $"127.0.0.1:{ports.Next()}", $"127.0.0.1:{ports.Next()}");
            var process = ManagedProcess.Start(
                $"root/{variant.Name}", executable.FileName, executable.With(["root", "--config", first.ConfigPath, "--grpc", grpc, "--http", http, "--admin", admin]), environment: environment);
            started.Add((variant.Name, variant.Environment, new RootProcess(BenchMode.Trimmed, process, new Uri($"http://{grpc}"), new Uri($"http://{http}"), new Uri($"http://{admin}"), first.ConfigPath)));
        }

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Task.WhenAll(started.Select(r => r.Item3.Process.WaitUntilReadyAsync(probe, new Uri(r.Item3.AdminAddress, "/readyz"), TimeSpan.FromMinutes(4), cancellationToken)));
        return started;
    }

    /// <summary>The report as a table.</summary>
    public static string Format(OverloadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        // The closed-loop run can stay below what open-loop load gets out of the root: the maximum is the best seen.
        var max = Math.Max(report.MaxCandidatesPerSecond, report.Phases.Count == 0 ? 0 : report.Phases.Max(p => p.SucceededCandidatesPerSecond));
        text.AppendLine(culture, $"capacity (closed loop): {report.SustainablePerSecond:F1} requests/s, {report.MaxCandidatesPerSecond:F0} candidates/s; max goodput seen {max:F0} candidates/s; load average {report.LoadAverage}");
        text.AppendLine("root | round | load | offered req/s | offered cand/s | goodput cand/s | % of max | ok | partial | refused (429) | deadline | other | p50 accepted ms | p99 accepted ms | root RSS peak MB");
        text.AppendLine("---|---|---|---|---|---|---|---|---|---|---|---|---|---|---");
        foreach (var p in report.Phases)
        {
            text.AppendLine(culture,
                $"{p.Root} | {p.Round} | {p.Factor:0.#}× | {p.OfferedPerSecond:F1} | {p.OfferedCandidatesPerSecond:F0} | {p.SucceededCandidatesPerSecond:F0} | {100 * p.SucceededCandidatesPerSecond / max:F0}% | " +
                $"{p.Succeeded} | {p.Partial} | {p.Rejected} | {p.DeadlineExceeded} | {p.OtherFailures} | {p.AcceptedP50Ms:F0} | {p.AcceptedP99Ms:F0} | {Megabytes(p.RootRssPeakBytes)}");
        }

        text.AppendLine();
        text.AppendLine(culture, $"root | environment | RSS after warm-up MB | {report.SettleSeconds:F0} s after normal load MB | peak MB | {report.SettleSeconds:F0} s after its last load MB | residue MB | goodput cand/s (mean of its phases) | p99 accepted ms (worst phase)");
        text.AppendLine("---|---|---|---|---|---|---|---|---");
        foreach (var root in report.Roots)
        {
            var own = report.Phases.Where(p => p.Root == root.Name).ToList();
            text.AppendLine(culture,
                $"{root.Name} | {(root.Environment.Count == 0 ? "default" : string.Join(' ', root.Environment.Select(e => $"{e.Key}={e.Value}")))} | {Megabytes(root.RssBaselineBytes)} | {Megabytes(root.RssRestBytes)} | " +
                $"{(own.Count == 0 ? 0 : Megabytes(own.Max(p => p.RootRssPeakBytes)))} | {Megabytes(root.RssAfterBytes)} | {Megabytes(root.RssResidueBytes)} | {(own.Count == 0 ? 0 : own.Average(p => p.SucceededCandidatesPerSecond)):F0} | {(own.Count == 0 ? double.NaN : own.Max(p => p.AcceptedP99Ms)):F0}");
        }

        return text.ToString();
    }

    public static string ToJson(OverloadReport report) => JsonSerializer.Serialize(report, Json);

    private static long Megabytes(long bytes) => bytes / (1024 * 1024);

    private static async Task<Tally> RunClosedLoopAsync(RootProcess root, ScoreWorkload workload, int callers, TimeSpan duration, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                await CallAsync(root.Channel, Next(workload), deadline, tally, cancellationToken);
            }
        }));
        tally.Elapsed = Stopwatch.GetElapsedTime(started);
        return tally;
    }

    private static async Task<OverloadPhase> RunOpenLoopAsync(
        RootProcess root, string name, int round, ScoreWorkload workload, int candidates, double factor, double rate, TimeSpan duration, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        var calls = new List<Task>();
        long offered = 0, peak = 0;
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcessMemory.ResidentBytes(root.Process.Id));
                try
                {
                    await Task.Delay(RssSampleInterval, stopSampling.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);

        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var due = TimeSpan.FromSeconds(offered / rate);
            if (due >= duration)
            {
                break;
            }

            var wait = due - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            offered++;
            calls.Add(CallAsync(root.Channel, Next(workload), deadline, tally, cancellationToken));
            if (calls.Count > 256)
            {
                calls.RemoveAll(c => c.IsCompleted);
            }
        }

        var offeredFor = Stopwatch.GetElapsedTime(started);
        await Task.WhenAll(calls);
        await stopSampling.CancelAsync();
        await sampler;
        peak = Math.Max(peak, ProcessMemory.ResidentBytes(root.Process.Id));
        var seconds = offeredFor.TotalSeconds;
        return new OverloadPhase(
            name, round, factor, offered / seconds, offered, tally.Succeeded, tally.Partial, tally.Rejected, tally.DeadlineExceeded, tally.Other,
            tally.SucceededCandidates / seconds, offered * (double)candidates / seconds,
            tally.Accepted.Percentile(50), tally.Accepted.Percentile(99), peak);
    }

    private static ScoreRequest Next(ScoreWorkload workload)
    {
        lock (workload)
        {
            return workload.Next();
        }
    }

    private static async Task CallAsync(RpcChannel channel, ScoreRequest request, TimeSpan deadline, Tally tally, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await channel.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = deadline }, cancellationToken);
            tally.Accepted.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (response.Results.All(r => r.Status.Code == 0))
            {
                Interlocked.Increment(ref tally.Succeeded);
                Interlocked.Add(ref tally.SucceededCandidates, request.Candidates.Count);
            }
            else
            {
                Interlocked.Increment(ref tally.Partial);
                var failed = response.Results.First(r => r.Status.Code != 0);
                tally.LastError = $"{failed.Model}: {(StatusCode)failed.Status.Code}: {failed.Status.Message}";
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
        {
            Interlocked.Increment(ref tally.Rejected);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            tally.Accepted.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Interlocked.Increment(ref tally.DeadlineExceeded);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            tally.Accepted.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Interlocked.Increment(ref tally.Other);
            tally.LastError = $"{e.StatusCode}: {e.Status.Detail}";
        }
    }

    private sealed class Tally
    {
#pragma warning disable SA1401, CA1051 // counted with Interlocked
        public long Succeeded;
        public long SucceededCandidates;
        public long Partial;
        public long Rejected;
        public long DeadlineExceeded;
        public long Other;
#pragma warning restore SA1401, CA1051

        public LatencySamples Accepted { get; } = new();

        public TimeSpan Elapsed { get; set; }

        public string? LastError { get; set; }

        public long Failed => Partial + Rejected + DeadlineExceeded + Other;
    }
}
