using System.Globalization;
using Arbor.Cli.Bench;
using Arbor.Root.Configuration;

namespace Arbor.Cli.Cluster;

/// <summary>
/// A fleet as a Kubernetes deployment runs it, as processes on loopback: several replicas of every
/// leaf partition and several roots, each root routing every partition to all of its replicas, every
/// process started with a drain delay so SIGTERM drains it as in a pod. Each process keeps its ports
/// when restarted (<see cref="ManagedProcess.Restart"/>), as a pod keeps its Service.
/// <para>
/// With <c>namespaces</c>, every process runs on a host of its own (a network namespace from
/// <c>scripts/linknet.sh hosts N</c>, needs root), all on one bridge like pods on a node network,
/// each serving on the ports a pod would; the roots find each partition's replicas through one DNS
/// name, <c>dns:///leaf-PARTITION:7000</c>, that resolves to all of them (the roots' hosts files),
/// as behind a headless Service.
/// </para>
/// </summary>
public sealed class ReplicatedFleet : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(4);

    private readonly List<LeafProcess> _leaves = [];
    private readonly List<RootProcess> _roots = [];
    private int? _hosts;

    private ReplicatedFleet()
    {
    }

    public IReadOnlyList<LeafProcess> Leaves => _leaves;

    public IReadOnlyList<RootProcess> Roots => _roots;

    /// <summary>The folder of the processes' log files.</summary>
    public string LogDirectory { get; private set; } = "";

    /// <summary>Starts the leaves, then the roots, and waits until every one is ready.</summary>
    /// <param name="artefacts">What the processes serve.</param>
    /// <param name="replicas">Replicas of every leaf partition.</param>
    /// <param name="roots">Roots, each routing to every replica.</param>
    /// <param name="limits">The roots' limits.</param>
    /// <param name="drainDelay">Every process's drain delay.</param>
    /// <param name="namespaces">Every process on a host of its own (needs root).</param>
    /// <param name="workDirectory">Where configs and logs are written.</param>
    /// <param name="progress">Progress lines.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <param name="options">Changes to the roots' config and environment, and whether leaves watch their repository.</param>
    public static async Task<ReplicatedFleet> StartAsync(
        SampleArtefacts artefacts, int replicas, int roots, LimitsConfig limits, TimeSpan drainDelay, bool namespaces, string workDirectory, Action<string> progress, CancellationToken cancellationToken,
        FleetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(artefacts);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(roots, 1);
        var fleet = new ReplicatedFleet();
        try
        {
            await fleet.StartCoreAsync(artefacts, replicas, roots, limits, drainDelay, namespaces, workDirectory, progress, options ?? new FleetOptions(), cancellationToken);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(
        SampleArtefacts artefacts, int replicas, int roots, LimitsConfig limits, TimeSpan drainDelay, bool namespaces, string workDirectory, Action<string> progress, FleetOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDirectory);
        LogDirectory = Path.GetFullPath(Path.Combine(workDirectory, "logs"));
        Directory.CreateDirectory(LogDirectory);
        foreach (var stale in Directory.EnumerateFiles(LogDirectory, "*.log"))
        {
            File.Delete(stale);
        }

        progress($"process logs: {LogDirectory}");
        var executable = ArborExecutable.Current();
        var ports = new PortAllocator();
        var drain = DrainArguments(drainDelay);
        var partitions = artefacts.Partitions.Partitions.Keys.Order(StringComparer.Ordinal).ToList();
        var endpoints = partitions.ToDictionary(p => p, _ => new List<string>(), StringComparer.Ordinal);
        if (namespaces)
        {
            _hosts = partitions.Count * replicas + roots;
            progress($"creating {_hosts} hosts (network namespaces on one bridge: scripts/linknet.sh hosts {_hosts})");
            await LinkNet.RunAsync(["hosts", _hosts.Value.ToString(CultureInfo.InvariantCulture)], cancellationToken);
        }

        var host = 0;
        foreach (var partition in partitions)
        {
            for (var replica = 0; replica < replicas; replica++)
            {
                var name = $"leaf/{partition}/{replica}";
                var (address, wrapper) = namespaces ? LinkNet.Host(host++) : ("127.0.0.1", []);
                var grpc = namespaces ? 7000 : ports.Next();
                var http = namespaces ? 7001 : ports.Next();
                var config = Path.Combine(workDirectory, $"leaf-{partition}-{replica}.json");
                await File.WriteAllTextAsync(config, ServingCluster.LeafConfigJson(artefacts, partition, address, grpc, http, options.WatchModels), cancellationToken);
                var process = ManagedProcess.Start(name, executable.FileName, executable.With(["leaf", "--config", config, .. drain]), wrapper, QuietEnvironment, LogFileOf(name));
                var leaf = new LeafProcess(partition, process, new Uri($"http://{address}:{grpc}"), new Uri($"http://{address}:{http}"));
                _leaves.Add(leaf);
                endpoints[partition].Add(leaf.GrpcAddress.ToString().TrimEnd('/'));
            }
        }

        progress($"starting {_leaves.Count} leaf processes ({replicas} replicas of {string.Join(", ", partitions)})");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Task.WhenAll(_leaves.Select(l => l.Process.WaitUntilReadyAsync(probe, new Uri(l.HttpAddress, "/readyz"), ReadyTimeout, cancellationToken)));

        var routing = ServingCluster.RootConfigFor(artefacts, BenchMode.Trimmed, new Dictionary<string, Uri>(StringComparer.Ordinal)) with
        {
            Limits = limits,
            Partitions = endpoints.ToDictionary(
                e => e.Key, e => new PartitionConfig { Endpoints = namespaces ? [$"dns:///{DnsName(e.Key)}:7000"] : e.Value }, StringComparer.Ordinal),
            Discovery = new DiscoveryConfig { ResolveIntervalMs = 1000 },
        };
        routing = options.ConfigureRoot?.Invoke(routing) ?? routing;
        var rootConfig = Path.Combine(workDirectory, "root.json");
        await File.WriteAllTextAsync(rootConfig, RootConfigLoader.Serialize(routing), cancellationToken);
        var rootEnvironment = new Dictionary<string, string>(QuietEnvironment, StringComparer.Ordinal);
        foreach (var (key, value) in options.RootEnvironment ?? new Dictionary<string, string>())
        {
            rootEnvironment[key] = value;
        }

        for (var i = 0; i < roots; i++)
        {
            var name = $"root/{i}";
            string grpc, http, admin;
            IReadOnlyList<string> wrapper = [];
            if (namespaces)
            {
                // The leaves' DNS names, as a headless Service's would resolve: every replica of the partition.
                var lines = _leaves.Select(l => $"{l.GrpcAddress.Host} {DnsName(l.Partition)}").Prepend("127.0.0.1 localhost");
                await LinkNet.WriteHostsFileAsync(host, lines, cancellationToken);
                (var address, wrapper) = LinkNet.Host(host++);
                (grpc, http, admin) = ($"{address}:7100", $"{address}:7180", $"{address}:7190");
            }
            else
            {
                (grpc, http, admin) = ($"127.0.0.1:{ports.Next()}", $"127.0.0.1:{ports.Next()}", $"127.0.0.1:{ports.Next()}");
            }

            var process = ManagedProcess.Start(
                name, executable.FileName, executable.With(["root", "--config", rootConfig, "--grpc", grpc, "--http", http, "--admin", admin, .. drain]),
                wrapper, rootEnvironment, LogFileOf(name));
            _roots.Add(new RootProcess(BenchMode.Trimmed, process, new Uri($"http://{grpc}"), new Uri($"http://{http}"), new Uri($"http://{admin}"), rootConfig));
        }

        progress($"starting {_roots.Count} roots, each routing to every replica");
        await Task.WhenAll(_roots.Select(r => r.Process.WaitUntilReadyAsync(probe, new Uri(r.AdminAddress, "/readyz"), ReadyTimeout, cancellationToken)));
    }

    /// <summary>How long a process may take to be ready after a (re)start.</summary>
    public static TimeSpan ReadyWithin => ReadyTimeout;

    private static string[] DrainArguments(TimeSpan delay) =>
        ["--drain-delay-ms", ((int)delay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), "--drain-timeout-ms", "30000"];

    private static string DnsName(string partition) => $"leaf-{partition}";

    private string LogFileOf(string process) => Path.Combine(LogDirectory, $"{process.Replace('/', '-')}.log");

    // Per-request information logs would only cost CPU; warnings and errors still reach the log files.
    private static readonly Dictionary<string, string> QuietEnvironment = new(StringComparer.Ordinal) { ["Logging__LogLevel__Default"] = "Warning" };

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_roots.Select(r => r.DisposeAsync().AsTask()));
        await Task.WhenAll(_leaves.Select(l => l.Process.DisposeAsync().AsTask()));
        if (_hosts is not null)
        {
            await LinkNet.RunAsync(["hosts-down"], CancellationToken.None);
        }
    }
}
