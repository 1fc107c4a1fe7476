using System.CommandLine;
using System.Globalization;
using Arbor.Leaf.Checking;
using Arbor.Release.Applying;
using Arbor.Release.Canary;
using Arbor.Release.Environments;
using Arbor.Release.Journal;
using Arbor.Release.Planning;
using Arbor.Release.Verification;
using Arbor.Signatures.Bundles;

namespace Arbor.Cli.Commands;

/// <summary>
/// <c>arbor release plan|apply|verify|rollback|status</c>: staged rollout of model versions through
/// canary and production, root allowlists always ahead of models (docs/operations.md).
/// </summary>
public static class ReleaseCommand
{
    private static readonly Option<string> Envs = new("--envs") { Description = "Directory holding the environments (canary/, production/) and the release journal.", Required = true };
    private static readonly Option<string?> ReleaseId = new("--release") { Description = "Release id (default: the open release; for rollback, the newest)." };
    private static readonly Option<string[]> CanaryRoots = Many("--canary-root", "Admin (HTTP) address of a canary root, e.g. http://127.0.0.1:7001.");
    private static readonly Option<string[]> CanaryLeaves = Many("--canary-leaf", "gRPC address of a canary leaf, e.g. http://127.0.0.1:7100.");
    private static readonly Option<string[]> ProductionRoots = Many("--production-root", "Admin (HTTP) address of a production root.");
    private static readonly Option<string[]> ProductionLeaves = Many("--production-leaf", "gRPC address of a production leaf.");
    private static readonly Option<double> Wait = new("--wait") { Description = "Seconds to wait for roots to load bundles and leaves to serve versions.", DefaultValueFactory = _ => 60 };

    public static Command Create()
    {
        var command = new Command("release", "Roll model versions out through canary and production, root allowlists first; verify and roll back.");
        command.Subcommands.Add(CreatePlan());
        command.Subcommands.Add(CreateApply());
        command.Subcommands.Add(CreateVerify());
        command.Subcommands.Add(CreateRollback());
        command.Subcommands.Add(CreateStatus());
        return command;
    }

    private static Command CreatePlan()
    {
        var repo = new Option<string>("--repo") { Description = "Source model repository (<repo>/<model>/<version>/model.pt).", Required = true };
        var ship = new Option<string>("--ship") { Description = "Comma-separated model:version pairs to ship.", Required = true };
        var registry = new Option<string?>("--registry") { Description = "Feature registry (default <repo>/feature_registry.json)." };
        var bundle = new Option<string?>("--bundle") { Description = "Bundle of shipped models that <repo>/partitions.json does not place." };
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON." };
        var command = new Command("plan", "Plan a release and record it as the open release (no environment changes). Refuses versions that fail the model check (arbor model check), such as signatures that need features the registry lacks.")
        {
            Envs, repo, ship, registry, bundle, json,
        };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => Run(() =>
        {
            var environments = new ReleaseEnvironments(result.GetValue(Envs)!);
            var ships = result.GetValue(ship)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ModelVersionRef.Parse).ToList();
            var plan = new ReleasePlanner(TimeProvider.System, new ModelChecker()).Plan(environments, new ReleaseRequest(result.GetValue(repo)!, ships, result.GetValue(registry), result.GetValue(bundle)));
            using var clients = new Clients();
            Executor(result, environments, new GateOptions(), clients).Begin(plan);
            if (result.GetValue(json))
            {
                Console.WriteLine(ReleaseJson.Serialize(plan));
            }
            else
            {
                foreach (var line in ReleasePlanText.Describe(plan))
                {
                    Console.WriteLine(line);
                }
            }

            Console.Error.WriteLine($"recorded release {plan.Id}; nothing changed yet. Apply with: arbor release apply --envs {result.GetValue(Envs)} [--step N]");
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command CreateApply()
    {
        var step = new Option<int?>("--step") { Description = "Apply only this step (it must be the next one); default: every remaining step." };
        var window = new Option<double>("--canary-window") { Description = "Seconds of traffic the canary analysis compares.", DefaultValueFactory = _ => 30 };
        var skipCanary = new Option<bool>("--skip-canary-analysis") { Description = "Pass the canary analysis step without measuring (recorded)." };
        var maxErrorRate = new Option<double>("--max-error-rate-increase") { Description = "Canary error rate may exceed production's by this (absolute).", DefaultValueFactory = _ => new CanaryThresholds().MaxErrorRateIncrease };
        var maxP99 = new Option<double>("--max-p99-ratio") { Description = "Canary p99 may be this multiple of production's (plus 5 ms).", DefaultValueFactory = _ => new CanaryThresholds().MaxP99Ratio };
        var maxBytes = new Option<double>("--max-bytes-per-candidate-ratio") { Description = "Canary leaf bytes per candidate may be this multiple of production's.", DefaultValueFactory = _ => new CanaryThresholds().MaxBytesPerCandidateRatio };
        var maxUntrimmed = new Option<double>("--max-untrimmed-share-increase") { Description = "Canary share of untrimmed leaf calls may exceed production's by this.", DefaultValueFactory = _ => new CanaryThresholds().MaxUntrimmedShareIncrease };
        var minRequests = new Option<long>("--min-requests") { Description = "Requests each environment must see during the window.", DefaultValueFactory = _ => new CanaryThresholds().MinRequests };
        var command = new Command("apply", "Apply the open release step by step; each step's gate (roots loaded, leaves serving, no trimming gap, canary analysis) must pass before the next.")
        {
            Envs, ReleaseId, step, CanaryRoots, CanaryLeaves, ProductionRoots, ProductionLeaves, Wait, window, skipCanary, maxErrorRate, maxP99, maxBytes, maxUntrimmed, minRequests,
        };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => Run(async () =>
        {
            var environments = new ReleaseEnvironments(result.GetValue(Envs)!);
            var options = new GateOptions
            {
                WaitTimeout = Seconds(result.GetValue(Wait)),
                CanaryWindow = Seconds(result.GetValue(window)),
                SkipCanaryAnalysis = result.GetValue(skipCanary),
                Thresholds = new CanaryThresholds
                {
                    MaxErrorRateIncrease = result.GetValue(maxErrorRate),
                    MaxP99Ratio = result.GetValue(maxP99),
                    MaxBytesPerCandidateRatio = result.GetValue(maxBytes),
                    MaxUntrimmedShareIncrease = result.GetValue(maxUntrimmed),
                    MinRequests = result.GetValue(minRequests),
                },
            };
            using var clients = new Clients();
            var executor = Executor(result, environments, options, clients);
            var outcome = await executor.ApplyAsync(result.GetValue(ReleaseId), result.GetValue(step), cancellationToken);
            return outcome.Succeeded ? 0 : 1;
        }));
        return command;
    }

    private static Command CreateRollback()
    {
        var command = new Command("rollback", "Restore what the release changed, last environment first: widen root allowlists, restore model configs, then root configs.")
        {
            Envs, ReleaseId, CanaryRoots, CanaryLeaves, ProductionRoots, ProductionLeaves, Wait,
        };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => Run(async () =>
        {
            var environments = new ReleaseEnvironments(result.GetValue(Envs)!);
            using var clients = new Clients();
            var executor = Executor(result, environments, new GateOptions { WaitTimeout = Seconds(result.GetValue(Wait)) }, clients);
            var outcome = await executor.RollbackAsync(result.GetValue(ReleaseId), cancellationToken);
            return outcome.Succeeded ? 0 : 1;
        }));
        return command;
    }

    private static Command CreateVerify()
    {
        var roots = Many("--root", "Admin (HTTP) address of a root.");
        var leaves = Many("--leaf", "gRPC address of a leaf.");
        var strict = new Option<bool>("--strict") { Description = "Also fail when a leaf's default version is not the root's latest." };
        var command = new Command("verify", "Ask live roots and leaves what is loaded and served; exit 1 on any served version without an allowlist.")
        {
            roots, leaves, strict,
        };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => Run(async () =>
        {
            using var clients = new Clients();
            var verifier = new ReleaseVerifier(clients.Roots, clients.Leaves);
            var report = await verifier.VerifyAsync(Uris(result.GetValue(roots)), Uris(result.GetValue(leaves)), result.GetValue(strict), cancellationToken);
            foreach (var line in report.Describe())
            {
                Console.WriteLine(line);
            }

            return report.Passed ? 0 : 1;
        }));
        return command;
    }

    private static Command CreateStatus()
    {
        var command = new Command("status", "Show the releases in the journal and what each environment holds.") { Envs };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => Run(() =>
        {
            var environments = new ReleaseEnvironments(result.GetValue(Envs)!);
            foreach (var record in new ReleaseStore(environments.ReleasesDirectory).List())
            {
                Console.WriteLine($"release {record.Id}: {ReleaseJson.Serialize(record.Status).Trim('"')} ({string.Join(", ", record.Plan.Ships)})");
                if (record.IsOpen)
                {
                    foreach (var step in record.Plan.Steps)
                    {
                        Console.WriteLine($"  {step.Number}. [{ReleaseJson.Serialize(record.Step(step.Number).Status).Trim('"')}] {step.Title}");
                    }
                }
            }

            foreach (var env in environments.Environments)
            {
                var state = DeployedState.Capture(env, DateTimeOffset.UtcNow, null, null);
                var models = string.Join("; ", state.Models.Select(m => $"{m.Key} [{string.Join(", ", m.Value)}]"));
                var bundles = string.Join("; ", state.Bundles.Select(b => $"{b.Key} {b.Value[..12]}"));
                Console.WriteLine($"{env.Name}: models {(models.Length == 0 ? "(none)" : models)}; bundles {(bundles.Length == 0 ? "(none)" : bundles)}");
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    private static ReleaseExecutor Executor(ParseResult result, ReleaseEnvironments environments, GateOptions options, Clients clients)
    {
        var endpoints = new Dictionary<string, EnvironmentEndpoints>(StringComparer.Ordinal)
        {
            ["canary"] = new(Uris(result.GetValue(CanaryRoots)), Uris(result.GetValue(CanaryLeaves))),
            ["production"] = new(Uris(result.GetValue(ProductionRoots)), Uris(result.GetValue(ProductionLeaves))),
        };
        var gates = new ReleaseGates(endpoints, clients.Roots, clients.Leaves, options, TimeProvider.System);
        return new ReleaseExecutor(environments, new ReleaseStore(environments.ReleasesDirectory), gates, TimeProvider.System, Console.WriteLine);
    }

    private static Option<string[]> Many(string name, string description) =>
        new(name) { Description = description + " Repeat for several.", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };

    private static List<Uri> Uris(string[]? values) =>
        [.. (values ?? []).Select(v => Uri.TryCreate(v, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"'{v}' is not an http:// or https:// address"))];

    private static TimeSpan Seconds(double value) =>
        value >= 0 && value <= 86_400
            ? TimeSpan.FromSeconds(value)
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{value} seconds is out of range (0 to 86400)"));

    private static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is ReleasePlanException or ReleaseException or FormatException or IOException or UnauthorizedAccessException
            or InvalidDataException or Signatures.Validation.ArtefactException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ex is ReleasePlanException ? 3 : 2;
        }
    }

    private sealed class Clients : IDisposable
    {
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

        public Clients()
        {
            // Roots whose admin listener requires a token (admin.token) are read with ARBOR_ADMIN_TOKEN.
            if (Environment.GetEnvironmentVariable("ARBOR_ADMIN_TOKEN") is { Length: > 0 } token)
            {
                _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            Roots = new RootAdminClient(_http);
        }

        public RootAdminClient Roots { get; }

        public LeafModelsClient Leaves { get; } = new();

        public void Dispose()
        {
            Leaves.Dispose();
            _http.Dispose();
        }
    }
}
