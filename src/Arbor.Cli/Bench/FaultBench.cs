using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.Root.Configuration;
using Arbor.Root.Preprocessing;
using Arbor.Root.Store;
using Arbor.Rpc.Security;
using Arbor.Signatures.Registry;
using Google.Protobuf;
using Grpc.Core;

namespace Arbor.Cli.Bench;

/// <summary>
/// <c>arbor bench --scenario faults</c>: one fault at a time under steady load against real
/// processes: one root (trimmed, the limits of <c>arbor up</c>), two replicas of each sample leaf
/// partition, and a private PostgreSQL server as the feature store when this machine has one. For
/// each fault: a window of steady load, the fault for a window, the repair (restart, resume,
/// restore) until the system serves again, and a window after. It reports per fault the requests
/// that failed as calls, the models that failed inside answers, untrimmed leaf calls, p99 before,
/// during and after, the time from the repair to the last failure, and the processes alive.
/// </summary>
public static class FaultBench
{
    public const string Scenario = "faults";

    private const string ConnectionVariable = "ARBOR_BENCH_PG";
    private static readonly TimeSpan ServeAgainWithin = TimeSpan.FromMinutes(2);
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static async Task<FaultReport> RunAsync(FaultBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var load0 = MachineLoad.Averages();
        var sample = await SampleArtefacts.EnsureAsync(RepositoryLocator.Find(), options.WorkDirectory, progress.Step, cancellationToken);

        // The leaves serve a copy of the model repository: the broken version goes there, never into the sample repository.
        var models = Path.Combine(options.WorkDirectory, "models");
        CopyDirectory(sample.Repository, models);
        var artefacts = sample with { Repository = models };

        var postgresMissing = LocalPostgresServer.Unavailable();
        using var postgres = postgresMissing is null ? await StartPostgresAsync(artefacts, progress, cancellationToken) : null;
        var fleetOptions = new FleetOptions
        {
            WatchModels = true,
            ConfigureRoot = postgres is null ? null : config => config with
            {
                FeatureStore = new FeatureStoreConfig { Kind = "postgres", ConnectionString = SecretValue.FromEnvironment(ConnectionVariable) },
                Cache = new CacheConfig { TtlSeconds = options.CacheTtlSeconds },
            },
            RootEnvironment = postgres is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { [ConnectionVariable] = postgres.ConnectionString },
        };
        await using var fleet = await ReplicatedFleet.StartAsync(
            artefacts, 2, 1, ServingCluster.InteractiveLimits, TimeSpan.Zero, namespaces: false, options.WorkDirectory, progress.Step, cancellationToken, fleetOptions);
        var root = fleet.Roots[0];
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        // Requests go to the root whatever its readiness says (a Service would drop an unready root, and with
        // one root every request would fail at the client); the time it reports unready is measured beside.
        await using var service = new ReadyEndpoints([new RootEndpoint(root.Process.Name, root.Client, _ => Task.FromResult(true))], TimeSpan.FromMilliseconds(250));
        using var readiness = new ReadinessWatch(http, new Uri(root.AdminAddress, "/readyz"));
        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), options.Scenario, options.Seed);
        using var load = new ClosedLoopLoad(service, () => Next(workload), TimeSpan.FromMilliseconds(ServingCluster.InteractiveLimits.DefaultDeadlineMs));
        await service.WaitUntilAllReadyAsync(ServeAgainWithin, cancellationToken);

        var context = new FaultContext(fleet, root, http, postgres, options.FaultDuration, readiness);
        var faults = Faults(context, artefacts, workload).ToList();
        var results = new List<FaultResult>();
        try
        {
            progress.Step($"warming up for {options.WarmUp.TotalSeconds:0} s");
            var callers = Enumerable.Range(0, options.Callers).Select(_ => load.CallLoopAsync(cancellationToken)).ToList();
            await Task.Delay(options.WarmUp, cancellationToken);
            foreach (var fault in faults)
            {
                results.Add(await RunFaultAsync(fault, context, load, progress, cancellationToken));
            }

            if (postgres is null)
            {
                results.Add(FaultResult.Skip("PostgreSQL stopped", postgresMissing!));
                results.Add(FaultResult.Skip("PostgreSQL hung (SIGSTOP)", postgresMissing!));
            }

            load.Stop();
            await Task.WhenAll(callers);
        }
        finally
        {
            // Whatever happened, nothing stays frozen (a stopped process would not stop on SIGTERM).
            foreach (var leaf in fleet.Leaves.Where(l => !l.Process.HasExited))
            {
                Signal("CONT", leaf.Process.Id);
            }

            postgres?.Resume();
        }

        return new FaultReport(
            options.Scenario.Name, options.Callers, options.FaultDuration.TotalSeconds, postgres is null ? "sqlite" : "postgres", Environment.ProcessorCount, load0, MachineLoad.Averages(), results);
    }

    public static string Format(FaultReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(culture,
            $"faults: 1 root, 2 replicas of each leaf partition, feature store {report.FeatureStore}, {report.Callers} closed-loop callers, scenario '{report.Scenario}', " +
            $"{report.FaultSeconds:0.#} s per window; {report.Cores} cores, load average {report.LoadAverageBefore} before, {report.LoadAverageAfter} after");
        text.AppendLine("fault | requests failed (of total) | model errors | untrimmed calls | p99 ms before / during / after | recovered s after repair | root unready s | processes alive | note");
        text.AppendLine("---|---|---|---|---|---|---|---|---");
        foreach (var r in report.Faults)
        {
            if (r.Skipped is not null)
            {
                text.AppendLine(culture, $"{r.Fault} | skipped: {r.Skipped} | | | | | | |");
                continue;
            }

            var models = r.ModelErrors.Count == 0 ? "0" : string.Join(", ", r.ModelErrors.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} {m.Value}"));
            var recovered = r.RecoveredSeconds is { } s ? s.ToString("F1", culture) : "no failure";
            text.AppendLine(culture,
                $"{r.Fault} | {r.FailedRequests} ({r.Requests}) | {models} | {r.UntrimmedCalls} | {r.P99BeforeMs:F0} / {r.P99DuringMs:F0} / {r.P99AfterMs:F0} | {recovered} | {r.RootUnreadySeconds:F1} | {r.ProcessesAlive}/{r.Processes} | {r.Note}");
        }

        return text.ToString();
    }

    public static string ToJson(FaultReport report) => JsonSerializer.Serialize(report, Json);

    private static async Task<FaultResult> RunFaultAsync(Fault fault, FaultContext context, ClosedLoopLoad load, BenchProgress progress, CancellationToken cancellationToken)
    {
        var window = context.Window;
        progress.Step($"{fault.Name}: steady load for {window.TotalSeconds:0.#} s");
        var before = load.Begin();
        await Task.Delay(window, cancellationToken);
        var statsBefore = await context.Root.ReadStatsAsync(cancellationToken);

        progress.Step($"{fault.Name}: injecting");
        var unreadyBefore = context.Readiness.UnreadySeconds;
        var during = load.Begin();
        await fault.Inject(cancellationToken);
        var note = await fault.During(load, before, cancellationToken);
        var repairAt = load.Seconds;
        progress.Step($"{fault.Name}: repairing");
        await fault.Repair(cancellationToken);

        var after = load.Begin();
        await Task.Delay(window, cancellationToken);
        var statsAfter = await context.Root.ReadStatsAsync(cancellationToken);
        var unready = context.Readiness.UnreadySeconds - unreadyBefore;
        var lastFailure = Math.Max(Or0(during.LastFailureAt), Or0(after.LastFailureAt));
        var anyFailure = during.Failed + after.Failed > 0;
        var modelErrors = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (model, count) in during.ModelErrors.Concat(after.ModelErrors))
        {
            modelErrors[model] = modelErrors.GetValueOrDefault(model) + count;
        }

        var processes = context.Fleet.Leaves.Select(l => l.Process).Concat(context.Fleet.Roots.Select(r => r.Process)).ToList();
        return new FaultResult(
            fault.Name,
            during.Requests + after.Requests,
            during.CallsFailed + after.CallsFailed,
            modelErrors,
            statsAfter.UntrimmedCalls - statsBefore.UntrimmedCalls,
            before.Latencies.Percentile(99),
            during.Latencies.Percentile(99),
            after.Latencies.Percentile(99),
            anyFailure ? Math.Max(0, lastFailure - repairAt) : null,
            unready,
            processes.Count(p => !p.HasExited),
            processes.Count,
            note,
            [.. during.Failures.Concat(after.Failures).Take(3)],
            null);

        static double Or0(double value) => double.IsNaN(value) ? 0 : value;
    }

    private static IEnumerable<Fault> Faults(FaultContext context, SampleArtefacts artefacts, ScoreWorkload workload)
    {
        var fleet = context.Fleet;
        var related = fleet.Leaves.Where(l => l.Partition == "related").ToList();
        var homefeed = fleet.Leaves.Where(l => l.Partition == "homefeed").ToList();

        yield return new Fault(
            "leaf killed (SIGKILL, both replicas of 'related'), restarted",
            async ct => await Task.WhenAll(related.Select(l => KillAsync(l, ct))),
            context.Hold,
            ct => RestartAsync(context, related, ct));

        yield return new Fault(
            "leaf hung (SIGSTOP, both replicas of 'related'), resumed",
            _ =>
            {
                related.ForEach(l => Signal("STOP", l.Process.Id));
                return Task.CompletedTask;
            },
            context.Hold,
            ct =>
            {
                related.ForEach(l => Signal("CONT", l.Process.Id));
                return WaitReinstatedAsync(context, related, ct);
            });

        yield return new Fault(
            "one of two replicas killed (SIGKILL, 'homefeed' replica 0), restarted",
            ct => KillAsync(homefeed[0], ct),
            context.Hold,
            ct => RestartAsync(context, [homefeed[0]], ct));

        var bundle = artefacts.Bundles["homefeed"];
        var bundleBytes = File.ReadAllBytes(bundle);
        yield return new Fault(
            "bundle corrupted (homefeed), then repaired",
            ct => File.WriteAllTextAsync(bundle, "{ \"schema\": \"arbor.bundle/v1\", \"models\": [", ct),
            context.Hold,
            async ct =>
            {
                await WriteAtomicallyAsync(bundle, bundleBytes, ct);
                await WaitUntilAsync(async c => await TrimmerActiveAsync(context.Root, c), "the root loads the repaired bundle", ct);
            });

        var versionDirectory = NextVersionDirectory(artefacts.Repository, "homefeed_ctr");
        yield return new Fault(
            $"broken model version deployed (homefeed_ctr {Path.GetFileName(versionDirectory)}), removed",
            async ct =>
            {
                var hidden = Path.Combine(Path.GetDirectoryName(versionDirectory)!, $".{Path.GetFileName(versionDirectory)}.partial");
                Directory.CreateDirectory(hidden);
                await File.WriteAllBytesAsync(Path.Combine(hidden, "model.pt"), Encoding.ASCII.GetBytes("not a TorchScript archive"), ct);
                Directory.Move(hidden, versionDirectory);
            },
            async (load, before, ct) =>
            {
                var waited = Stopwatch.StartNew();
                await WaitUntilAsync(c => VersionFailedEverywhereAsync(context, homefeed, "homefeed_ctr", Path.GetFileName(versionDirectory), c), "every homefeed leaf lists the broken version as failed", ct);
                var seen = waited.Elapsed;
                await context.Hold(load, before, ct);
                return string.Create(CultureInfo.InvariantCulture, $"every replica listed it FAILED after {seen.TotalSeconds:F1} s");
            },
            async ct =>
            {
                var gone = Path.Combine(Path.GetDirectoryName(versionDirectory)!, $".{Path.GetFileName(versionDirectory)}.removed");
                Directory.Move(versionDirectory, gone);
                Directory.Delete(gone, recursive: true);
                await Task.CompletedTask;
            });

        var rootConfig = context.Root.ConfigPath;
        var rootConfigBytes = File.ReadAllBytes(rootConfig);
        yield return new Fault(
            "bad root config (reload: a leaf timeout above the deadline)",
            async ct =>
            {
                var config = RootConfigLoader.Serialize(RootConfigLoader.Parse(Encoding.UTF8.GetString(rootConfigBytes)) with
                {
                    Limits = ServingCluster.InteractiveLimits with { LeafTimeoutMs = ServingCluster.InteractiveLimits.DefaultDeadlineMs * 2 },
                });
                await WriteAtomicallyAsync(rootConfig, Encoding.UTF8.GetBytes(config), ct);
                await WaitUntilAsync(async c => await ConfigErrorAsync(context.Root, c) is not null, "the root reports the config error", ct);
            },
            context.Hold,
            async ct =>
            {
                await WriteAtomicallyAsync(rootConfig, rootConfigBytes, ct);
                await WaitUntilAsync(async c => await ConfigErrorAsync(context.Root, c) is null, "the root takes the good config again", ct);
            });

        foreach (var factor in new[] { 2, 5 })
        {
            yield return new Fault(
                $"overload {factor}× (open-loop requests on top of the steady callers)",
                _ => Task.CompletedTask,
                async (load, before, ct) =>
                {
                    var rate = before.Requests / context.Window.TotalSeconds;
                    await load.OfferAsync(rate * (factor - 1), context.Window, ct);
                    return string.Create(CultureInfo.InvariantCulture, $"offered {rate * factor:F1} req/s ({rate:F1} before)");
                },
                _ => Task.CompletedTask);
        }

        yield return new Fault(
            "huge request (100,000 candidates, beside the steady load)",
            _ => Task.CompletedTask,
            async (_, _, ct) =>
            {
                var statuses = new Dictionary<StatusCode, int>();
                var started = Stopwatch.StartNew();
                var slowest = TimeSpan.Zero;
                while (started.Elapsed < context.Window)
                {
                    var call = Stopwatch.StartNew();
                    var status = await HugeRequestAsync(context.Root, Next(workload), ct);
                    slowest = call.Elapsed > slowest ? call.Elapsed : slowest;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                }

                return $"huge requests: {string.Join(", ", statuses.Select(s => $"{s.Value} {s.Key}"))}, slowest answer {slowest.TotalMilliseconds:F0} ms";
            },
            _ => Task.CompletedTask);

        if (context.Postgres is { } postgres)
        {
            yield return new Fault(
                "PostgreSQL stopped, started again",
                _ =>
                {
                    postgres.Stop();
                    return Task.CompletedTask;
                },
                context.Hold,
                _ =>
                {
                    postgres.Start();
                    return Task.CompletedTask;
                });

            yield return new Fault(
                "PostgreSQL hung (SIGSTOP), resumed",
                _ =>
                {
                    postgres.Pause();
                    return Task.CompletedTask;
                },
                context.Hold,
                _ =>
                {
                    postgres.Resume();
                    return Task.CompletedTask;
                });
        }
    }

    private static async Task<StatusCode> HugeRequestAsync(RootProcess root, ScoreRequest template, CancellationToken cancellationToken)
    {
        var request = template.Clone();
        for (var i = 0; i < 100_000; i++)
        {
            request.Candidates.Add(new Candidate { Id = string.Create(CultureInfo.InvariantCulture, $"huge-{i}") });
        }

        try
        {
            await root.Client.ScoreAsync(request, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
            return StatusCode.OK;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return e.StatusCode;
        }
    }

    private static async Task KillAsync(LeafProcess leaf, CancellationToken cancellationToken)
    {
        Process.GetProcessById(leaf.Process.Id).Kill();
        await leaf.Process.WaitForExitAsync(cancellationToken);
    }

    /// <summary>Starts the leaves again (same ports), waits until they are ready and the root has reinstated them.</summary>
    private static async Task RestartAsync(FaultContext context, IReadOnlyList<LeafProcess> leaves, CancellationToken cancellationToken)
    {
        foreach (var leaf in leaves)
        {
            leaf.Process.Restart();
        }

        await Task.WhenAll(leaves.Select(l => l.Process.WaitUntilReadyAsync(context.Http, new Uri(l.HttpAddress, "/readyz"), ReplicatedFleet.ReadyWithin, cancellationToken)));
        await WaitReinstatedAsync(context, leaves, cancellationToken);
    }

    private static Task WaitReinstatedAsync(FaultContext context, IReadOnlyList<LeafProcess> leaves, CancellationToken cancellationToken) =>
        WaitUntilAsync(
            async ct =>
            {
                using var stats = await StatsAsync(context.Root, ct);
                var replicas = stats.RootElement.GetProperty("leaves");
                return leaves.All(l => !replicas.TryGetProperty(l.GrpcAddress.Authority, out var r) || !r.GetProperty("ejected").GetBoolean());
            },
            "the root takes the replicas back into traffic",
            cancellationToken);

    private static async Task<bool> VersionFailedEverywhereAsync(FaultContext context, IReadOnlyList<LeafProcess> leaves, string model, string version, CancellationToken cancellationToken)
    {
        foreach (var leaf in leaves)
        {
            var text = await context.Http.GetStringAsync(new Uri(leaf.HttpAddress, "/models"), cancellationToken);
            var listed = JsonParser.Default.Parse<ListModelsResponse>(text);
            if (!listed.Models.Any(m => m.Name == model && m.Versions.Any(v => v.Version == version && v.State == VersionState.Failed)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether every bundle is active (<c>/readyz</c> shows each bundle's state, ready or not).</summary>
    private static async Task<bool> TrimmerActiveAsync(RootProcess root, CancellationToken cancellationToken)
    {
        using var response = await root.Admin.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var json = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        return json.RootElement.GetProperty("bundles").EnumerateObject().All(b => b.Value.GetString() == "active");
    }

    private static async Task<string?> ConfigErrorAsync(RootProcess root, CancellationToken cancellationToken)
    {
        using var stats = await StatsAsync(root, cancellationToken);
        return stats.RootElement.TryGetProperty("config_error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;
    }

    private static async Task<JsonDocument> StatsAsync(RootProcess root, CancellationToken cancellationToken)
    {
        await using var stream = await root.Admin.GetStreamAsync(new Uri("/admin/stats", UriKind.Relative), cancellationToken);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
    }

    private static async Task WaitUntilAsync(Func<CancellationToken, Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        while (!await condition(cancellationToken))
        {
            if (started.Elapsed > ServeAgainWithin)
            {
                throw new TimeoutException($"timed out after {ServeAgainWithin.TotalSeconds:0} s waiting until {what}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static async Task WriteAtomicallyAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    private static string NextVersionDirectory(string repository, string model)
    {
        var versions = Directory.GetDirectories(Path.Combine(repository, model))
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0);
        return Path.Combine(repository, model, (versions.DefaultIfEmpty(0).Max() + 1).ToString(CultureInfo.InvariantCulture));
    }

    private static async Task<LocalPostgresServer> StartPostgresAsync(SampleArtefacts artefacts, BenchProgress progress, CancellationToken cancellationToken)
    {
        progress.Step("feature store: starting a private PostgreSQL server and loading features.jsonl");
        var server = new LocalPostgresServer();
        try
        {
            var source = Path.Combine(artefacts.Repository, "features.jsonl");
            var preprocessor = new FeaturePreprocessor(FeatureRegistryJson.ReadFile(artefacts.Registry));
            await using var store = new PostgresFeatureStore(server.ConnectionString);
            await store.InitializeAsync(cancellationToken);
            await using var input = File.OpenRead(source);
            await JsonlFeatureImporter.ImportAsync(store, input, source, preprocessor, JsonlFeatureImporter.DefaultBatchSize, cancellationToken);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        if (Directory.Exists(to))
        {
            Directory.Delete(to, recursive: true);
        }

        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static ScoreRequest Next(ScoreWorkload workload)
    {
        lock (workload)
        {
            return workload.Next();
        }
    }

    /// <summary>One fault: how it is injected, what runs while it lasts (returns a note), and how it is repaired.</summary>
    private sealed record Fault(
        string Name, Func<CancellationToken, Task> Inject, Func<ClosedLoopLoad, LoadTally, CancellationToken, Task<string?>> During, Func<CancellationToken, Task> Repair);

    private sealed record FaultContext(ReplicatedFleet Fleet, RootProcess Root, HttpClient Http, LocalPostgresServer? Postgres, TimeSpan Window, ReadinessWatch Readiness)
    {
        /// <summary>The fault simply lasts one window.</summary>
        public async Task<string?> Hold(ClosedLoopLoad load, LoadTally before, CancellationToken cancellationToken)
        {
            await Task.Delay(Window, cancellationToken);
            return null;
        }
    }
}
