using System.Text.Json;
using Arbor.Cli.Bench;
using Arbor.Root.Configuration;

namespace Arbor.Cli.Cluster;

/// <summary>
/// Roots and leaves as separate processes: one leaf per partition (per mode, or shared), then one
/// root per fan-out mode, each with the same routing and only its fan-out settings different.
/// Disposing stops the roots first, then the leaves (SIGTERM, then kill after a grace period).
/// </summary>
public sealed class ServingCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(4);
    private static readonly JsonSerializerOptions LeafJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private readonly List<LeafProcess> _leaves = [];
    private readonly List<RootProcess> _roots = [];

    private ServingCluster(LeafLayout layout) => Layout = layout;

    public LeafLayout Layout { get; }

    /// <summary>The folder of the children's log files (<c>leaf-homefeed.log</c>, <c>root-trimmed.log</c>...).</summary>
    public string LogDirectory { get; private set; } = "";

    /// <summary>For every child that has exited: its name, exit code, log file and last lines.</summary>
    public IEnumerable<string> DescribeExited(int lines = 20) =>
        _roots.Select(r => r.Process).Concat(_leaves.Select(l => l.Process)).Where(p => p.HasExited)
            .Select(p => $"{p.Name} exited with code {p.ExitCode}{p.LogFileNote}; its last lines:\n{p.Tail(lines)}");

    private string LogFileOf(string child) => Path.Combine(LogDirectory, $"{child.Replace('/', '-')}.log");

    public IReadOnlyList<LeafProcess> Leaves => _leaves;

    public IReadOnlyList<RootProcess> Roots => _roots;

    /// <summary>The leaves that serve <paramref name="mode"/>'s root (all of them when shared).</summary>
    public IEnumerable<LeafProcess> LeavesOf(BenchMode mode) =>
        Layout == LeafLayout.Shared ? _leaves : _leaves.Where(l => l.Process.Name.EndsWith($"/{mode.Slug}", StringComparison.Ordinal));

    public RootProcess RootOf(BenchMode mode) => _roots.First(r => r.Mode == mode);

    public static async Task<ServingCluster> StartAsync(
        SampleArtefacts artefacts,
        IReadOnlyList<BenchMode> modes,
        LeafLayout layout,
        ClusterPlacement placement,
        string workDirectory,
        Action<string> progress,
        CancellationToken cancellationToken,
        RootPorts? rootPorts = null,
        LimitsConfig? limits = null,
        IReadOnlyDictionary<string, string>? rootEnvironment = null,
        Func<RootConfig, RootConfig>? configureRoot = null)
    {
        var cluster = new ServingCluster(layout);
        try
        {
            await cluster.StartCoreAsync(artefacts, modes, placement, workDirectory, progress, rootPorts, limits ?? BenchLimits, rootEnvironment, configureRoot ?? (c => c), cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Limits of a system served to people (<c>arbor up</c>): a 1 s default deadline, and leaf calls
    /// capped below it so one slow partition costs only its own models' scores.
    /// </summary>
    public static LimitsConfig InteractiveLimits { get; } = new() { MaxCandidates = 2000, DefaultDeadlineMs = 1000, LeafTimeoutMs = 800 };

    /// <summary>
    /// Limits of benchmark runs: every mode must answer every request (the comparison is bitwise),
    /// so deadlines are long; latency is measured, not enforced.
    /// </summary>
    public static LimitsConfig BenchLimits { get; } = new() { MaxCandidates = 2000, DefaultDeadlineMs = 30_000 };

    private async Task StartCoreAsync(SampleArtefacts artefacts, IReadOnlyList<BenchMode> modes, ClusterPlacement placement, string workDirectory, Action<string> progress, RootPorts? rootPorts, LimitsConfig limits, IReadOnlyDictionary<string, string>? rootEnvironment, Func<RootConfig, RootConfig> configureRoot, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDirectory);
        LogDirectory = Path.GetFullPath(Path.Combine(workDirectory, "logs"));
        Directory.CreateDirectory(LogDirectory);
        foreach (var stale in Directory.EnumerateFiles(LogDirectory, "*.log"))
        {
            File.Delete(stale);
        }

        progress($"child logs: {LogDirectory}");
        var executable = ArborExecutable.Current();
        var ports = new PortAllocator();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var partitions = artefacts.Partitions.Partitions.Keys.Order(StringComparer.Ordinal).ToList();

        var leafSets = Layout == LeafLayout.Shared ? new List<string?> { null } : modes.Select(m => (string?)m.Slug).ToList();
        var leafEndpoints = new Dictionary<(string? Set, string Partition), Uri>();
        foreach (var set in leafSets)
        {
            foreach (var partition in partitions)
            {
                var name = set is null ? $"leaf/{partition}" : $"leaf/{partition}/{set}";
                var grpc = ports.Next();
                var http = ports.Next();
                var config = Path.Combine(workDirectory, set is null ? $"leaf-{partition}.json" : $"leaf-{partition}-{set}.json");
                await File.WriteAllTextAsync(config, LeafConfigJson(artefacts, partition, placement.LeafAddress, grpc, http), cancellationToken);
                var process = ManagedProcess.Start(name, executable.FileName, executable.With(["leaf", "--config", config]), placement.LeafWrapper, ChildEnvironment, LogFileOf(name));
                var leaf = new LeafProcess(partition, process, new Uri($"http://{placement.LeafAddress}:{grpc}"), new Uri($"http://{placement.LeafAddress}:{http}"));
                _leaves.Add(leaf);
                leafEndpoints[(set, partition)] = leaf.GrpcAddress;
            }
        }

        progress($"starting {_leaves.Count} leaf processes ({string.Join(", ", partitions)}; {(Layout == LeafLayout.Shared ? "shared by all modes" : "one set per mode")})");
        await Task.WhenAll(_leaves.Select(l => l.Process.WaitUntilReadyAsync(probe, new Uri(l.HttpAddress, "/readyz"), ReadyTimeout, cancellationToken)));

        foreach (var mode in modes)
        {
            var set = Layout == LeafLayout.Shared ? null : mode.Slug;
            var config = Path.Combine(workDirectory, $"root-{mode.Slug}.json");
            var routing = configureRoot(RootConfigFor(artefacts, mode, partitions.ToDictionary(p => p, p => leafEndpoints[(set, p)])) with { Limits = limits });
            await File.WriteAllTextAsync(config, RootConfigLoader.Serialize(routing), cancellationToken);
            var fixedPorts = modes.Count == 1 ? rootPorts : null;
            var grpc = $"{placement.RootAddress}:{fixedPorts?.Grpc ?? ports.Next()}";
            var http = $"{placement.RootAddress}:{fixedPorts?.Http ?? ports.Next()}";
            var admin = $"{placement.RootAddress}:{fixedPorts?.Admin ?? ports.Next()}";
            var process = ManagedProcess.Start($"root/{mode.Slug}", executable.FileName, executable.With(["root", "--config", config, "--grpc", grpc, "--http", http, "--admin", admin]), environment: RootEnvironment(rootEnvironment), logFile: LogFileOf($"root/{mode.Slug}"));
            _roots.Add(new RootProcess(mode, process, new Uri($"http://{grpc}"), new Uri($"http://{http}"), new Uri($"http://{admin}"), config));
        }

        progress($"starting {_roots.Count} root process{(_roots.Count == 1 ? "" : "es")} ({string.Join(", ", modes.Select(m => m.Name))})");
        await Task.WhenAll(_roots.Select(r => r.Process.WaitUntilReadyAsync(probe, new Uri(r.AdminAddress, "/readyz"), ReadyTimeout, cancellationToken)));
    }

    /// <summary>Fixed ports for a cluster's only root (<c>arbor up</c>), so example requests can name them.</summary>
    public sealed record RootPorts(int Grpc, int Http, int Admin);

    /// <summary>The routing every mode shares; only <c>fan_out</c> differs between modes.</summary>
    public static RootConfig RootConfigFor(SampleArtefacts artefacts, BenchMode mode, IReadOnlyDictionary<string, Uri> leafByPartition)
    {
        var models = new Dictionary<string, ModelRouteConfig>(StringComparer.Ordinal);
        foreach (var (partition, definition) in artefacts.Partitions.Partitions)
        {
            foreach (var model in definition.Models)
            {
                models[model] = new ModelRouteConfig { Partition = partition };
            }
        }

        return new RootConfig
        {
            FeatureStore = new FeatureStoreConfig { Kind = "sqlite", Path = artefacts.FeatureStore },
            Registry = artefacts.Registry,
            Bundles = [.. artefacts.Bundles.Values],
            FanOut = new FanOutConfig { Trimming = mode.Trimming, Compression = mode.Compression, CompressionThresholdBytes = 1024, PartitionCalls = mode.PartitionCalls },
            Limits = new LimitsConfig { MaxCandidates = 2000, DefaultDeadlineMs = 30_000 },
            Partitions = leafByPartition.ToDictionary(p => p.Key, p => new PartitionConfig { Endpoints = [p.Value.ToString().TrimEnd('/')] }, StringComparer.Ordinal),
            Models = models,
            Surfaces = BenchScenario.Surfaces(),
        };
    }

    /// <summary>
    /// A leaf serving the latest version of each of its partition's models, without dynamic
    /// batching: each request is one forward over exactly its candidates, so every mode (same
    /// candidates, same features after conversion) gets bitwise the same scores. With
    /// <paramref name="watch"/> it looks for new versions every second.
    /// </summary>
    public static string LeafConfigJson(SampleArtefacts artefacts, string partition, string address, int grpcPort, int httpPort, bool watch = false)
    {
        var document = new
        {
            Partition = partition,
            Repository = artefacts.Repository,
            Device = "cpu",
            Concurrency = 2,
            Watch = watch,
            PollIntervalSeconds = watch ? 1 : 3600,
            Threads = new { IntraOp = 1, Interop = 1 },
            Batching = new { Enabled = false },
            Server = new { Address = address, GrpcPort = grpcPort, HttpPort = httpPort },
            Models = artefacts.Partitions.Partitions[partition].Models.Select(m => new { Name = m, Latest = 1 }).ToList(),
        };
        return JsonSerializer.Serialize(document, LeafJson);
    }

    // Per-request information logs would cost the CPU being measured; the children's output is only kept for error reports.
    private static readonly Dictionary<string, string> ChildEnvironment = new(StringComparer.Ordinal) { ["Logging__LogLevel__Default"] = "Warning" };

    private static Dictionary<string, string> RootEnvironment(IReadOnlyDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(ChildEnvironment, StringComparer.Ordinal);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_roots.Select(r => r.DisposeAsync().AsTask()));
        await Task.WhenAll(_leaves.Select(l => l.Process.DisposeAsync().AsTask()));
    }
}
