using System.CommandLine;
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
/// <c>arbor bench rolling-restart</c>: a rolling restart of a whole fleet under steady load, as a
/// Kubernetes rollout does it, on loopback. Every leaf replica, then every root, one at a time:
/// SIGTERM (the process turns unready and drains), start it again, wait until it is ready and until
/// it gets traffic again (every root's bytes to a restarted leaf grow; a restarted root answers
/// requests again), then the next. Closed-loop callers send each request, with its deadline, to the
/// next ready root (a stand-in Service, <see cref="ReadyEndpoints"/>). A request fails if the call
/// fails or any of its models has a non-OK status; the goal is none.
/// </summary>
public static class RollingRestartBench
{
    /// <summary>Bytes every root must have sent to a restarted leaf before it counts as back in traffic.</summary>
    private const long TrafficBytes = 4096;

    /// <summary>Requests a restarted root must have answered before it counts as back in traffic.</summary>
    private const long TrafficRequests = 10;

    public static Command Create()
    {
        var defaults = new RollingRestartOptions();
        var replicas = new Option<int>("--replicas") { Description = "Leaf replicas per partition.", DefaultValueFactory = _ => defaults.Replicas };
        var roots = new Option<int>("--roots") { Description = "Roots behind the stand-in Service.", DefaultValueFactory = _ => defaults.Roots };
        var callers = new Option<int>("--callers") { Description = "Closed-loop callers.", DefaultValueFactory = _ => defaults.Callers };
        var scenario = new Option<string>("--scenario") { Description = $"Workload: {string.Join(", ", BenchScenario.All.Select(s => s.Name))}.", DefaultValueFactory = _ => defaults.Scenario.Name };
        var deadline = new Option<int>("--deadline-ms") { Description = "Each request's deadline (leaf calls are capped at 80 % of it).", DefaultValueFactory = _ => (int)defaults.Deadline.TotalMilliseconds };
        var drain = new Option<int>("--drain-delay-ms") { Description = "Every process's drain delay.", DefaultValueFactory = _ => (int)defaults.DrainDelay.TotalMilliseconds };
        var steady = new Option<int>("--steady-seconds") { Description = "Load before the first restart and after the last.", DefaultValueFactory = _ => (int)defaults.Steady.TotalSeconds };
        var workDir = new Option<string>("--work-dir") { Description = "Where configs, bundles, the feature store and logs are written.", DefaultValueFactory = _ => Path.Combine(".arbor", "bench-rolling-restart") };
        var seed = new Option<int>("--seed") { Description = "Workload seed.", DefaultValueFactory = _ => defaults.Seed };
        var netns = new Option<bool>("--netns") { Description = "Every process on a host of its own (network namespaces on one bridge, needs root), leaves found through DNS names as behind headless Services." };
        var command = new Command("rolling-restart", "Restart every leaf replica and root one at a time under steady load and count failed requests (the goal is none).")
        {
            replicas, roots, callers, scenario, deadline, drain, steady, workDir, seed, netns,
        };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            RollingRestartOptions options;
            try
            {
                options = new RollingRestartOptions
                {
                    Replicas = result.GetValue(replicas),
                    Roots = result.GetValue(roots),
                    Callers = result.GetValue(callers),
                    Scenario = BenchScenario.Get(result.GetValue(scenario)!),
                    Deadline = TimeSpan.FromMilliseconds(result.GetValue(deadline)),
                    DrainDelay = TimeSpan.FromMilliseconds(result.GetValue(drain)),
                    Steady = TimeSpan.FromSeconds(result.GetValue(steady)),
                    WorkDirectory = Path.GetFullPath(result.GetValue(workDir)!),
                    Seed = result.GetValue(seed),
                    Namespaces = result.GetValue(netns),
                };
                options.Validate();
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"arbor bench rolling-restart: {e.Message}");
                return 2;
            }

            try
            {
                var report = await RunAsync(options, BenchProgress.Console(), cancellationToken);
                Console.WriteLine();
                Console.Write(Format(report));
                return report.Failed == 0 ? 0 : 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("arbor bench rolling-restart: interrupted; processes stopped");
                return 130;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                await Console.Error.WriteLineAsync($"arbor bench rolling-restart: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    public static async Task<RollingRestartReport> RunAsync(RollingRestartOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        options.Validate();
        var artefacts = await SampleArtefacts.EnsureAsync(RepositoryLocator.Find(), options.WorkDirectory, progress.Step, cancellationToken);
        var deadlineMs = (int)options.Deadline.TotalMilliseconds;
        var limits = new LimitsConfig { MaxCandidates = 2000, DefaultDeadlineMs = deadlineMs, LeafTimeoutMs = deadlineMs * 4 / 5 };
        if (options.Namespaces && !LinkNet.IsRoot)
        {
            throw new InvalidOperationException("--netns needs root: it creates network namespaces (scripts/linknet.sh hosts N)");
        }

        await using var fleet = await ReplicatedFleet.StartAsync(
            artefacts, options.Replicas, options.Roots, limits, options.DrainDelay, options.Namespaces, options.WorkDirectory, progress.Step, cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await using var service = new ReadyEndpoints(fleet.Roots.Select(r => Endpoint(r, http)), options.EndpointRefresh);
        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), options.Scenario, options.Seed);
        var targets = fleet.Leaves.Select(l => Target(l.Process, new Uri(l.HttpAddress, "/readyz"), options, http, ct => LeafBackInTrafficAsync(fleet.Roots.Select(r => r.Admin).ToList(), l.GrpcAddress.Authority, ct)))
            .Concat(fleet.Roots.Select(r => Target(r.Process, new Uri(r.AdminAddress, "/readyz"), options, http, ct => RootBackInTrafficAsync(r.Process.Name, service, c => StatsAsync(r.Admin, c), ct))))
            .ToList();
        return await RunAsync(service, () => Next(workload), targets, [.. artefacts.Partitions.Partitions.Keys.Order(StringComparer.Ordinal)], options, progress, cancellationToken);
    }

    /// <summary>
    /// The rolling restart itself, for any fleet: steady load through <paramref name="service"/>, then
    /// each target in turn (stop, start, ready, back in traffic), then steady load again.
    /// </summary>
    public static async Task<RollingRestartReport> RunAsync(
        ReadyEndpoints service, Func<ScoreRequest> nextRequest, IReadOnlyList<RestartTarget> targets, IReadOnlyList<string> partitions,
        RollingRestartOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        using var load = new ClosedLoopLoad(service, nextRequest, options.Deadline);
        await service.WaitUntilAllReadyAsync(options.RestartTimeout, cancellationToken);
        progress.Step($"warming up every root for {options.Steady.TotalSeconds:0} s");
        var warmUp = load.Begin();
        var callers = Enumerable.Range(0, options.Callers).Select(_ => load.CallLoopAsync(cancellationToken)).ToList();
        await Task.Delay(options.Steady, cancellationToken);

        var before = load.Begin();
        var phases = new List<RollingRestartPhase> { warmUp.ToPhase("warm-up") };
        await Task.Delay(options.Steady, cancellationToken);

        var during = load.Begin();
        phases.Add(before.ToPhase("steady before"));
        var steps = new List<RollingRestartStep>();
        foreach (var target in targets)
        {
            steps.Add(await RestartAsync(target, load, options, progress, cancellationToken));
        }

        var after = load.Begin();
        phases.Add(during.ToPhase("during restarts"));
        await Task.Delay(options.Steady, cancellationToken);
        load.Stop();
        await Task.WhenAll(callers);
        phases.Add(after.ToPhase("steady after"));
        // The restarts' failures first: they are what the run is about.
        var failures = new[] { during, after, before, warmUp }.SelectMany(t => t.Failures).Take(10).ToList();
        return new RollingRestartReport(options, partitions, phases, steps, failures);
    }

    public static string Format(RollingRestartReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var o = report.Options;
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(culture,
            $"rolling restart: {o.Replicas} replicas of each leaf partition ({string.Join(", ", report.Partitions)}), {o.Roots} roots, {o.Callers} closed-loop callers, " +
            $"scenario '{o.Scenario.Name}', deadline {o.Deadline.TotalMilliseconds:0} ms, drain delay {o.DrainDelay.TotalMilliseconds:0} ms{(o.Namespaces ? ", one network namespace per process, leaves found through DNS" : "")}");
        text.AppendLine("phase | requests | failed | p50 ms | p99 ms");
        text.AppendLine("---|---|---|---|---");
        foreach (var p in report.Phases)
        {
            text.AppendLine(culture, $"{p.Name} | {p.Requests} | {p.Failed} | {p.P50Ms:F1} | {p.P99Ms:F1}");
        }

        text.AppendLine();
        text.AppendLine("restarted | SIGTERM → exit s | start → ready s | ready → traffic s | requests meanwhile | failed");
        text.AppendLine("---|---|---|---|---|---");
        foreach (var s in report.Steps)
        {
            text.AppendLine(culture, $"{s.Process} | {s.DrainSeconds:F1} | {s.ReadySeconds:F1} | {s.BackInTrafficSeconds:F1} | {s.Requests} | {s.Failed}");
        }

        text.AppendLine();
        text.AppendLine(culture, $"total: {report.Requests} requests, {report.Failed} failed");
        foreach (var failure in report.FirstFailures)
        {
            text.AppendLine(culture, $"  failed: {failure}");
        }

        return text.ToString();
    }

    private static async Task<RollingRestartStep> RestartAsync(RestartTarget target, ClosedLoopLoad load, RollingRestartOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        progress.Step(string.Create(CultureInfo.InvariantCulture, $"restarting {target.Name} at {load.Seconds:F1} s"));
        var step = load.BeginStep();
        var clock = Stopwatch.StartNew();
        await target.StopAsync(cancellationToken);
        var drained = clock.Elapsed;
        await target.StartAsync(cancellationToken);
        var started = clock.Elapsed;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(options.RestartTimeout);
            try
            {
                await target.ReadyAsync(timeout.Token);
                started = clock.Elapsed;
                await target.BackInTrafficAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{target.Name} was not ready and back in traffic within {options.RestartTimeout.TotalSeconds:0} s of its restart");
            }
        }

        var serving = clock.Elapsed;
        load.EndStep();
        return new RollingRestartStep(target.Name, drained.TotalSeconds, (started - drained).TotalSeconds, (serving - started).TotalSeconds, step.Requests, step.Failed);
    }

    private static ScoreRequest Next(ScoreWorkload workload)
    {
        lock (workload)
        {
            return workload.Next();
        }
    }

    private static RootEndpoint Endpoint(RootProcess root, HttpClient http) => new(root.Process.Name, root.Client, async ct =>
    {
        using var response = await http.GetAsync(new Uri(root.AdminAddress, "/readyz"), ct);
        return response.IsSuccessStatusCode;
    });

    private static RestartTarget Target(ManagedProcess process, Uri readyz, RollingRestartOptions options, HttpClient http, Func<CancellationToken, Task> backInTraffic) => new(
        process.Name,
        async _ =>
        {
            await process.StopAsync(options.DrainDelay + TimeSpan.FromSeconds(60));
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode} on SIGTERM{process.LogFileNote}:\n{process.Tail(20)}");
            }
        },
        _ =>
        {
            process.Restart();
            return Task.CompletedTask;
        },
        ct => process.WaitUntilReadyAsync(http, readyz, options.RestartTimeout, ct),
        backInTraffic);

    /// <summary>Completes once every root (its admin client) has sent the leaf at <paramref name="authority"/> another <see cref="TrafficBytes"/> bytes.</summary>
    public static Task LeafBackInTrafficAsync(IReadOnlyList<HttpClient> rootAdmins, string authority, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rootAdmins);
        return LeafBackInTrafficAsync(rootAdmins.Select(a => (Func<CancellationToken, Task<JsonDocument>>)(ct => StatsAsync(a, ct))).ToList(), authority, cancellationToken);
    }

    /// <summary>Completes once every root (its <c>/admin/stats</c>) has sent the leaf at <paramref name="authority"/> another <see cref="TrafficBytes"/> bytes.</summary>
    public static async Task LeafBackInTrafficAsync(IReadOnlyList<Func<CancellationToken, Task<JsonDocument>>> rootStats, string authority, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rootStats);
        var start = await Task.WhenAll(rootStats.Select(s => LeafBytesSentAsync(s, authority, cancellationToken)));
        while (true)
        {
            var now = await Task.WhenAll(rootStats.Select(s => LeafBytesSentAsync(s, authority, cancellationToken)));
            if (now.Select((bytes, i) => bytes - start[i]).All(grown => grown >= TrafficBytes))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>Completes once the restarted root is a ready endpoint again and has answered <see cref="TrafficRequests"/> requests.</summary>
    public static async Task RootBackInTrafficAsync(string name, ReadyEndpoints service, Func<CancellationToken, Task<JsonDocument>> stats, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(stats);
        while (true)
        {
            if (service.IsReady(name))
            {
                using var json = await stats(cancellationToken);
                if (json.RootElement.GetProperty("requests").GetInt64() >= TrafficRequests)
                {
                    return;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static async Task<JsonDocument> StatsAsync(HttpClient admin, CancellationToken cancellationToken)
    {
        await using var stream = await admin.GetStreamAsync(new Uri("/admin/stats", UriKind.Relative), cancellationToken);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
    }

    private static async Task<long> LeafBytesSentAsync(Func<CancellationToken, Task<JsonDocument>> stats, string authority, CancellationToken cancellationToken)
    {
        using var json = await stats(cancellationToken);
        return json.RootElement.GetProperty("leaves").TryGetProperty(authority, out var leaf) ? leaf.GetProperty("bytes_sent").GetInt64() : 0;
    }
}
