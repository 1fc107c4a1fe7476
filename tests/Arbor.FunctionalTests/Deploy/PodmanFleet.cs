using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Health.V1;

namespace Arbor.FunctionalTests.Deploy;

/// <summary>
/// The dev overlay of deploy/kubernetes played by <c>podman kube play</c> on a private podman
/// network: the images built by scripts/images.sh, the overlay rendered by <c>kubectl kustomize</c>
/// and adapted by kube_play.py (podman runs Deployments and ConfigMaps but no Services), the
/// sample models and feature store in host folders. Every leaf pod gets its Deployment's name as a
/// network alias, which resolves to all replicas as a headless Service's name does, so the roots
/// find their leaves through <c>dns:///leaf-homefeed:7000</c> exactly as configured.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class PodmanFleet : IAsyncDisposable
{
    public const string ImageTag = "test";

    /// <summary>The pods of the adapted dev overlay: podman names them &lt;deployment&gt;-pod-&lt;replica&gt;.</summary>
    private static readonly string[] ExpectedPods = ["arbor-root-pod-0", "arbor-root-pod-1", "leaf-homefeed-pod-0", "leaf-homefeed-pod-1", "leaf-related-pod-0", "leaf-related-pod-1"];

    private readonly string _network;
    private readonly string _manifest;
    private readonly Dictionary<string, string> _environment;
    private readonly List<string> _pods = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private PodmanFleet(string network, string manifest, Dictionary<string, string> environment)
    {
        _network = network;
        _manifest = manifest;
        _environment = environment;
    }

    public IReadOnlyList<string> RootPods => [.. _pods.Where(p => p.StartsWith("arbor-root-pod-", StringComparison.Ordinal))];

    public IReadOnlyList<string> LeafPods => [.. _pods.Where(p => p.StartsWith("leaf-", StringComparison.Ordinal))];

    /// <summary>Why the fleet cannot run here, or null when it can.</summary>
    public static string? Missing() =>
        new[] { "podman", "kubectl", "python3" }.FirstOrDefault(t => !OnPath(t)) is { } tool ? $"{tool} is not installed: the images cannot be built and played here" : null;

    public static async Task<PodmanFleet> StartAsync(SampleArtefacts artefacts, string workDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Environment.GetEnvironmentVariable("CONTAINERS_CONF") is null && !File.Exists("/etc/containers/containers.conf"))
        {
            // runc (crun fails on hybrid cgroup hosts) and explicit ulimits, as scripts/images.sh sets them.
            var conf = Path.Combine(workDirectory, "containers.conf");
            await File.WriteAllTextAsync(conf, "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n\n[engine]\nruntime = \"runc\"\n", cancellationToken);
            environment["CONTAINERS_CONF"] = conf;
        }

        log("building the images (scripts/images.sh)");
        await RunAsync("bash", [RepositoryPaths.Combine("scripts", "images.sh"), ImageTag], environment, TimeSpan.FromMinutes(30), cancellationToken);

        var host = Path.Combine(workDirectory, "host");
        CopyDirectory(artefacts.Repository, Path.Combine(host, "models"));
        Directory.CreateDirectory(Path.Combine(host, "data"));
        File.Copy(artefacts.FeatureStore, Path.Combine(host, "data", "features.db"));
        // The containers run as user 10001: the models are read-only for it, the store's folder is its own.
        MakeReadable(host);
        File.SetUnixFileMode(Path.Combine(host, "data"), (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(Path.Combine(host, "data", "features.db"), (UnixFileMode)0b110_110_110);
        var bundles = Path.Combine(workDirectory, "bundles");
        Directory.CreateDirectory(bundles);
        var bundleArguments = new List<string>();
        foreach (var (partition, path) in artefacts.Bundles)
        {
            var named = Path.Combine(bundles, $"{partition}.json");
            File.Copy(path, named, overwrite: true);
            bundleArguments.AddRange(["--bundle", named]);
        }

        var rendered = await RunAsync("kubectl", ["kustomize", RepositoryPaths.Combine("deploy", "kubernetes", "overlays", "dev")], environment, TimeSpan.FromMinutes(2), cancellationToken);
        var manifest = Path.Combine(workDirectory, "fleet.yaml");
        var adapted = await RunAsync(
            "python3", [Path.Combine(AppContext.BaseDirectory, "Deploy", "kube_play.py"), "--tag", ImageTag, "--host-dir", host, "--root-replicas", "2", .. bundleArguments],
            environment, TimeSpan.FromMinutes(1), cancellationToken, stdin: rendered);
        await File.WriteAllTextAsync(manifest, adapted, cancellationToken);

        var network = $"arbor-test-{Environment.ProcessId}-{Random.Shared.Next(100_000):D5}";
        var fleet = new PodmanFleet(network, manifest, environment);
        try
        {
            await fleet.PlayAsync(log, cancellationToken);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    private async Task PlayAsync(Action<string> log, CancellationToken cancellationToken)
    {
        // Pods of an earlier run that was killed before it could clean up would make the play fail.
        await RunAsync("podman", ["pod", "rm", "-f", "--ignore", .. ExpectedPods], _environment, TimeSpan.FromMinutes(2), cancellationToken, check: false);
        await RunAsync("podman", ["network", "create", _network], _environment, TimeSpan.FromMinutes(1), cancellationToken);
        log("podman kube play (the dev overlay: 2 roots, 2 replicas of each leaf partition)");
        // Exits non-zero on a host without systemd (no timers for the probes' health checks) although every pod runs: the pods are checked below.
        await RunAsync("podman", ["kube", "play", "--network", _network, _manifest], _environment, TimeSpan.FromMinutes(5), cancellationToken, check: false);
        var names = await RunAsync("podman", ["pod", "ps", "--format", "{{.Name}}"], _environment, TimeSpan.FromMinutes(1), cancellationToken);
        _pods.AddRange(ExpectedPods.Where(p => names.Split('\n').Contains(p)));
        if (_pods.Count != ExpectedPods.Length)
        {
            throw new InvalidOperationException($"podman kube play started {string.Join(", ", _pods)}; expected {string.Join(", ", ExpectedPods)}");
        }

        foreach (var leaf in LeafPods)
        {
            // The headless Service's name: an alias every replica of the partition shares.
            var infra = await InfraAsync(leaf, cancellationToken);
            await RunAsync("podman", ["network", "disconnect", _network, infra], _environment, TimeSpan.FromMinutes(1), cancellationToken);
            await RunAsync("podman", ["network", "connect", "--alias", Deployment(leaf), _network, infra], _environment, TimeSpan.FromMinutes(1), cancellationToken);
        }
    }

    /// <summary>The Deployment a pod belongs to (<c>leaf-homefeed-pod-1</c> → <c>leaf-homefeed</c>).</summary>
    public static string Deployment(string pod) => pod[..pod.LastIndexOf("-pod-", StringComparison.Ordinal)];

    /// <summary>The pod's address on the fleet's network (it may change when the pod restarts).</summary>
    public async Task<IPAddress> AddressAsync(string pod, CancellationToken cancellationToken)
    {
        var infra = await InfraAsync(pod, cancellationToken);
        var text = await RunAsync("podman", ["inspect", "--format", $"{{{{(index .NetworkSettings.Networks \"{_network}\").IPAddress}}}}", infra], _environment, TimeSpan.FromMinutes(1), cancellationToken);
        return IPAddress.Parse(text.Trim());
    }

    /// <summary>A root pod as a Service endpoint: its public gRPC API, ready when <c>grpc.health.v1</c> says SERVING.</summary>
    public async Task<RootEndpoint> RootEndpointAsync(string pod, CancellationToken cancellationToken)
    {
        var channel = new RpcChannel($"http://{await AddressAsync(pod, cancellationToken)}:7100");
        var health = new Health.HealthClient(channel.Invoker);
        return new RootEndpoint(pod, new Contracts.V1.Root.RootClient(channel.Invoker), async ct =>
            (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: ct)).Status == HealthCheckResponse.Types.ServingStatus.Serving);
    }

    /// <summary>A root's <c>/admin/stats</c>, read inside its pod (the admin listener is on the pod's loopback only).</summary>
    public async Task<JsonDocument> RootStatsAsync(string pod, CancellationToken cancellationToken) =>
        JsonDocument.Parse(await RunAsync("podman", ["exec", $"{pod}-root", "curl", "-fsS", "http://127.0.0.1:7190/admin/stats"], _environment, TimeSpan.FromSeconds(30), cancellationToken));

    /// <summary>Waits until the leaf pod's <c>/readyz</c> answers 200.</summary>
    public async Task LeafReadyAsync(string pod, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var response = await _http.GetAsync(new Uri($"http://{await AddressAsync(pod, cancellationToken)}:7001/readyz"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This attempt timed out on a loaded machine.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>
    /// Terminates the pod as Kubernetes does: SIGTERM to its container, which drains (at most the
    /// Deployment's grace period) while the pod's network stays, then checks it exited 0 and stops
    /// the pod's sandbox. (<c>podman pod stop</c> alone would stop the sandbox first and cut the
    /// network under the drain.)
    /// </summary>
    public async Task StopAsync(string pod, CancellationToken cancellationToken)
    {
        var grace = pod.StartsWith("arbor-root", StringComparison.Ordinal) ? 20 : 25; // terminationGracePeriodSeconds of the base
        var container = ContainerOf(pod);
        await RunAsync("podman", ["stop", "-t", grace.ToString(CultureInfo.InvariantCulture), container], _environment, TimeSpan.FromSeconds(grace + 60), cancellationToken);
        var exit = (await RunAsync("podman", ["inspect", "--format", "{{.State.ExitCode}}", container], _environment, TimeSpan.FromMinutes(1), cancellationToken)).Trim();
        if (exit != "0")
        {
            throw new InvalidOperationException($"{container} exited with code {exit} on SIGTERM:\n{await LogsAsync(container, cancellationToken)}");
        }

        await RunAsync("podman", ["pod", "stop", "-t", "0", pod], _environment, TimeSpan.FromMinutes(1), cancellationToken);
    }

    private static string ContainerOf(string pod) => $"{pod}-{(pod.StartsWith("arbor-root", StringComparison.Ordinal) ? "root" : "leaf")}";

    public Task StartPodAsync(string pod, CancellationToken cancellationToken) =>
        RunAsync("podman", ["pod", "start", pod], _environment, TimeSpan.FromMinutes(2), cancellationToken);

    /// <summary>The last lines of every container, for failure messages.</summary>
    public async Task<string> DescribeAsync(CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        foreach (var pod in _pods)
        {
            var container = ContainerOf(pod);
            parts.Add($"--- {container}\n{await LogsAsync(container, cancellationToken)}");
        }

        return string.Join('\n', parts);
    }

    private async Task<string> LogsAsync(string container, CancellationToken cancellationToken) =>
        await RunAsync("podman", ["logs", "--tail", "40", container], _environment, TimeSpan.FromMinutes(1), cancellationToken, check: false);

    private async Task<string> InfraAsync(string pod, CancellationToken cancellationToken) =>
        (await RunAsync("podman", ["pod", "inspect", "--format", "{{.InfraContainerID}}", pod], _environment, TimeSpan.FromMinutes(1), cancellationToken)).Trim();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        if (_pods.Count > 0)
        {
            await RunAsync("podman", ["pod", "rm", "-f", "-t", "5", .. _pods], _environment, TimeSpan.FromMinutes(2), timeout.Token, check: false);
        }

        await RunAsync("podman", ["kube", "down", _manifest], _environment, TimeSpan.FromMinutes(2), timeout.Token, check: false);
        await RunAsync("podman", ["network", "rm", "-f", _network], _environment, TimeSpan.FromMinutes(1), timeout.Token, check: false);
    }

    private static async Task<string> RunAsync(
        string file, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, CancellationToken cancellationToken, bool check = true, string? stdin = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }

        var output = await stdout;
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with code {process.ExitCode}:\n{output}\n{await stderr}");
        }

        return output;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
        }
    }

    private static void MakeReadable(string root)
    {
        var directory = (UnixFileMode)0b111_101_101;
        File.SetUnixFileMode(root, directory);
        foreach (var path in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(path, directory);
        }

        foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
}
