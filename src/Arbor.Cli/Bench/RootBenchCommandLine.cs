using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arbor.Cli.Bench;

/// <summary>
/// <c>arbor bench root</c>: the root's CPU per candidate at steady state, its cold start and its
/// saturation throughput (see <see cref="RootBench"/> and docs/benchmarks.md).
/// </summary>
public static class RootBenchCommandLine
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Command Create()
    {
        var scenario = new Option<string>("--scenario") { Description = $"Workload: {string.Join(", ", BenchScenario.All.Select(s => s.Name))}.", DefaultValueFactory = _ => BenchScenario.Reference.Name };
        var candidates = new Option<int?>("--candidates") { Description = "Candidates per request (default: the scenario's)." };
        var modes = new Option<string>("--modes") { Description = "Comma-separated fan-out modes; untrimmed is always included.", DefaultValueFactory = _ => "trimmed,trimmed+lz4" };
        var realLeaves = new Option<bool>("--real-leaves") { Description = "Run the real leaves (libtorch inference) instead of null leaves; score parity is then meaningful." };
        var concurrency = new Option<int>("--concurrency") { Description = "Callers per root in the warm-up and steady phases.", DefaultValueFactory = _ => 4 };
        var rounds = new Option<int>("--rounds") { Description = "Steady-state rounds (every root gets the same requests each round).", DefaultValueFactory = _ => 8 };
        var perRound = new Option<int>("--requests-per-round") { Description = "Requests per root per round.", DefaultValueFactory = _ => 50 };
        var window = new Option<double>("--window-seconds") { Description = "Least length of a warm-up window.", DefaultValueFactory = _ => 3 };
        var maxWarmup = new Option<double>("--max-warmup-seconds") { Description = "Warm-up gives up (and says so) after this long.", DefaultValueFactory = _ => 90 };
        var cold = new Option<int>("--cold-requests") { Description = "Requests of a fresh root measured as its cold start.", DefaultValueFactory = _ => 100 };
        var saturate = new Option<double>("--saturate-seconds") { Description = "Saturation phase per root (0: none).", DefaultValueFactory = _ => 0 };
        var latency = new Option<int>("--latency-requests") { Description = "Requests per root sent by one caller after the steady rounds: client p50/p99, root-added latency and the root→leaf call overhead (0: none).", DefaultValueFactory = _ => 400 };
        var saturateCallers = new Option<int>("--saturate-concurrency") { Description = "Callers in the saturation phase.", DefaultValueFactory = _ => 8 };
        var compare = new Option<string[]>("--compare") { Description = "Also measure another build: NAME=PATH/arbor.dll (its roots run beside the current build's, interleaved).", AllowMultipleArgumentsPerToken = false };
        var variant = new Option<string[]>("--variant") { Description = "Also measure the current build with environment variables: NAME=KEY:VALUE,KEY:VALUE." };
        var preload = new Option<bool>("--preload") { Description = "Also measure the current build with a warmup.preload_file of every user and candidate of the workload (its cache filled before it is ready)." };
        var leavesPerBuild = new Option<bool>("--leaves-per-build") { Description = "Each build's roots call null leaves of their own build (with its --variant environment), so that builds are compared with their whole RPC stack; otherwise all roots share the current build's leaves." };
        var preloadEvery = new Option<bool>("--preload-every-build") { Description = "Every build's roots (the current build's and each --compare's) read a warmup.preload_file of every user and candidate of the workload; no root without it." };
        var startInTurn = new Option<bool>("--start-in-turn") { Description = "Start each root once the one before it is ready, so that its start-up warm-up has the machine to itself (as a root on cores of its own would); otherwise all roots start together." };
        var connections = new Option<string?>("--connections") { Description = "Also measure the current build with fan_out.connections_per_replica set to each of these comma-separated values, e.g. 1,4." };
        var json = new Option<string?>("--json") { Description = "Write the report to this JSON file." };
        var workDir = new Option<string>("--work-dir") { Description = "Where configs, bundles and the feature store are written.", DefaultValueFactory = _ => Path.Combine(".arbor", "bench-root") };
        var seed = new Option<int>("--seed") { Description = "Workload seed.", DefaultValueFactory = _ => 7 };
        var models = new Option<int?>("--models") { Description = "Every request names this many models (each model's newest version first, then older versions; partitions in turn) instead of the scenario's surface." };
        var cachedEntities = new Option<string?>("--cached-entities") { Description = "Instead of CPU: a root's memory at rest after a forced collection with these many entities cached, e.g. 1000,10000,100000 (the store gets copies of the sample candidates)." };
        var command = new Command("root", "Root CPU per candidate at steady state (warmed until stable, net of idle), cold start and saturation, against null or real leaves.")
        {
            scenario, candidates, modes, realLeaves, concurrency, rounds, perRound, window, maxWarmup, cold, saturate, latency, saturateCallers, compare, variant, preload, preloadEvery, leavesPerBuild, startInTurn, connections, json, workDir, seed, models, cachedEntities,
        };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            RootBenchOptions options;
            try
            {
                var chosen = BenchScenario.Get(result.GetValue(scenario)!);
                if (result.GetValue(candidates) is { } count)
                {
                    ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count, "--candidates");
                    chosen = chosen with { Name = $"{chosen.Name}-{count}", CandidatesPerRequest = count };
                }

                var builds = new List<RootBuild> { RootBuild.Current };
                foreach (var spec in result.GetValue(compare) ?? [])
                {
                    var (name, path) = Split(spec, "--compare");
                    builds.Add(new RootBuild(name, Path.GetFullPath(path), new Dictionary<string, string>()));
                }

                foreach (var spec in result.GetValue(variant) ?? [])
                {
                    builds.Add(RootBuild.ParseVariant(spec));
                }

                if (result.GetValue(preload))
                {
                    builds.Add(RootBuild.Preloaded);
                }

                foreach (var perReplica in ParseConnections(result.GetValue(connections)))
                {
                    builds.Add(RootBuild.WithConnections(perReplica));
                }

                if (result.GetValue(preloadEvery))
                {
                    builds = [.. builds.Select(b => b with { Preload = true })];
                }

                if (result.GetValue(concurrency) < 1 || result.GetValue(rounds) < 1 || result.GetValue(perRound) < 1 || result.GetValue(cold) < 1 || result.GetValue(window) <= 0)
                {
                    throw new ArgumentException("--concurrency, --rounds, --requests-per-round, --cold-requests and --window-seconds must be positive");
                }

                if (result.GetValue(leavesPerBuild) && result.GetValue(realLeaves))
                {
                    throw new ArgumentException("--leaves-per-build starts null leaves; it does not go with --real-leaves");
                }

                if (result.GetValue(models) is < 1)
                {
                    throw new ArgumentException("--models must be positive");
                }

                var levels = ParseLevels(result.GetValue(cachedEntities));
                options = new RootBenchOptions
                {
                    ModelsPerRequest = result.GetValue(models),
                    CachedEntities = levels,
                    Scenario = chosen,
                    Modes = BenchMode.ParseList(result.GetValue(modes)),
                    Builds = builds,
                    NullLeaves = !result.GetValue(realLeaves),
                    LeavesPerBuild = result.GetValue(leavesPerBuild),
                    StartInTurn = result.GetValue(startInTurn),
                    Concurrency = result.GetValue(concurrency),
                    Rounds = result.GetValue(rounds),
                    RequestsPerRound = result.GetValue(perRound),
                    WindowTime = TimeSpan.FromSeconds(result.GetValue(window)),
                    MaxWarmup = TimeSpan.FromSeconds(result.GetValue(maxWarmup)),
                    ColdRequests = result.GetValue(cold),
                    SaturateTime = TimeSpan.FromSeconds(Math.Max(0, result.GetValue(saturate))),
                    SaturateConcurrency = Math.Max(1, result.GetValue(saturateCallers)),
                    LatencyRequests = Math.Max(0, result.GetValue(latency)),
                    WorkDirectory = Path.GetFullPath(result.GetValue(workDir)!),
                    Seed = result.GetValue(seed),
                    Command = "arbor " + string.Join(' ', result.Tokens.Select(t => t.Value)),
                };
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"arbor bench root: {e.Message}");
                return 2;
            }

            try
            {
                var report = await RootBench.RunAsync(options, BenchProgress.Console(), cancellationToken);
                Console.WriteLine();
                Console.Write(RootBench.Format(report));
                if (result.GetValue(json) is { } path)
                {
                    var full = Path.GetFullPath(path);
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                    await File.WriteAllTextAsync(full, JsonSerializer.Serialize(report, Json) + "\n", cancellationToken);
                    Console.WriteLine($"report: {path}");
                }

                return report.Roots.All(r => r.ScoreMismatches == 0 && r.Errors == 0) ? 0 : 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("arbor bench root: interrupted; processes stopped");
                return 130;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
            {
                await Console.Error.WriteLineAsync($"arbor bench root: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>The <c>--cached-entities</c> levels: comma-separated counts above 2 (one user and one candidate are the first reading).</summary>
    private static List<int> ParseLevels(string? text)
    {
        var levels = new List<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            levels.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level > 2
                ? level
                : throw new ArgumentException($"--cached-entities takes comma-separated counts above 2, not '{part}'"));
        }

        return [.. levels.Distinct().Order()];
    }

    /// <summary>The <c>--connections</c> values: comma-separated connection counts a root's config may set.</summary>
    private static List<int> ParseConnections(string? text)
    {
        var counts = new List<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            counts.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= Rpc.Client.RpcChannelOptions.MaxConnections
                ? count
                : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--connections takes comma-separated counts from 1 to {Rpc.Client.RpcChannelOptions.MaxConnections}, not '{part}'")));
        }

        return [.. counts.Distinct()];
    }

    private static (string Name, string Value) Split(string spec, string option)
    {
        var at = spec.IndexOf('=', StringComparison.Ordinal);
        return at > 0 && at < spec.Length - 1
            ? (spec[..at], spec[(at + 1)..])
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option} takes NAME=VALUE, not '{spec}'"));
    }
}
