using System.Diagnostics;
using System.Text.Json;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.Release.Applying;
using Arbor.Release.Environments;
using Arbor.Release.Journal;
using Arbor.Release.Publishing;
using Arbor.Release.Verification;
using Arbor.Rpc.Client;
using Arbor.Signatures.Bundles;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Release;

/// <summary>
/// Real <c>arbor root</c> and <c>arbor leaf</c> processes per environment, configured the way the
/// release tooling expects: each leaf serves <c>&lt;env&gt;/models</c> (latest version of each
/// model), each root watches <c>&lt;env&gt;/root/bundles/homefeed.json</c>, over a SQLite feature
/// store loaded from the sample repository. Traffic can run against every root while a test works.
/// </summary>
internal sealed class ReleaseCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private readonly TempDirectory _dir;
    private readonly List<ManagedProcess> _processes = [];
    private readonly Dictionary<string, RpcChannel> _rootChannels = [];
    private readonly Dictionary<string, RpcChannel> _referenceChannels = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private ReleaseCluster(TempDirectory dir, ReleaseEnvironments environments)
    {
        _dir = dir;
        Environments = environments;
        Store = new ReleaseStore(environments.ReleasesDirectory);
    }

    public ReleaseEnvironments Environments { get; }

    public ReleaseStore Store { get; }

    public Dictionary<string, EnvironmentEndpoints> Endpoints { get; } = [];

    public RootAdminClient RootAdmin => new(_http);

    public LeafModelsClient Leaves { get; } = new();

    public string Repository => SampleModelRepository.Root;

    /// <summary>
    /// Starts the environments with <paramref name="seed"/> published and covered by the homefeed
    /// bundle; leaves serve <paramref name="leafModels"/>. With <paramref name="referenceRoots"/>, each
    /// environment also gets a root that never trims (the model's own untrimmed scores, for parity).
    /// </summary>
    public static async Task<ReleaseCluster> StartAsync(IReadOnlyList<string> environments, (string Model, string Version)[] seed, string[] leafModels, bool referenceRoots = false)
    {
        var repository = SampleModelRepository.Root;
        var dir = new TempDirectory("arbor-release-");
        var cluster = new ReleaseCluster(dir, new ReleaseEnvironments(dir.Combine("envs"), environments));
        try
        {
            var store = dir.Combine("features.db");
            var output = await RunArborAsync(["store", "load", "--db", store, "--input", Path.Combine(repository, "features.jsonl"), "--registry", Path.Combine(repository, "feature_registry.json")]);
            if (!File.Exists(store))
            {
                throw new InvalidOperationException($"arbor store load did not create {store}: {output}");
            }

            foreach (var env in cluster.Environments.Environments)
            {
                foreach (var (model, version) in seed)
                {
                    AtomicPublisher.PublishDirectory(Path.Combine(repository, model, version), env.VersionDirectory(model, version));
                }

                var bundle = new BundleBuilder(TimeProvider.System).Build(new BundleBuildRequest(
                    env.ModelsDirectory, "homefeed", Versions: [.. seed.Select(s => new ModelVersionRef(s.Model, s.Version))]));
                AtomicPublisher.WriteFile(env.BundlePath("homefeed"), BundleJson.ToUtf8Bytes(bundle.Document));
                await cluster.StartEnvironmentAsync(env, store, leafModels, referenceRoots);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public ReleaseExecutor Executor(GateOptions options, List<string> log) =>
        new(Environments, Store, new ReleaseGates(Endpoints, RootAdmin, Leaves, options, TimeProvider.System), TimeProvider.System, line =>
        {
            lock (log)
            {
                log.Add(line);
            }
        });

    /// <summary>Scores <paramref name="request"/> through the environment's root, or its untrimmed reference root.</summary>
    public Task<ScoreResponse> ScoreAsync(string env, ScoreRequest request, bool reference = false) =>
        (reference ? _referenceChannels : _rootChannels)[env].CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser,
            new RpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, TestContext.Current.CancellationToken);

    /// <summary>GET on the environment's root admin listener (e.g. <c>/admin/trimmer</c>, <c>/metrics</c>).</summary>
    public Task<string> GetAdminAsync(string env, string path) =>
        _http.GetStringAsync(new Uri(Endpoints[env].Roots[0], path), TestContext.Current.CancellationToken);

    public Task<VerificationReport> VerifyAsync(string env, bool strict) =>
        new ReleaseVerifier(RootAdmin, Leaves).VerifyAsync(Endpoints[env].Roots, Endpoints[env].Leaves, strict, TestContext.Current.CancellationToken);

    /// <summary>Waits (bounded) until every leaf of <paramref name="env"/> serves <paramref name="model"/>:<paramref name="version"/> by default.</summary>
    public async Task WaitForDefaultAsync(string env, string model, string version)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var views = await Task.WhenAll(Endpoints[env].Leaves.Select(l => Leaves.ListAsync(l, TestContext.Current.CancellationToken)));
            if (views.All(v => v.Model(model)?.DefaultVersion == version))
            {
                return;
            }

            if (Stopwatch.GetElapsedTime(started) > StartTimeout)
            {
                throw new TimeoutException($"{env} leaves do not serve {model}:{version}: {JsonSerializer.Serialize(views)}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Sends score requests from <paramref name="workers"/> concurrent loops to every root in turn
    /// until <paramref name="stop"/> (at most <paramref name="maxRequests"/> in all), each naming
    /// <paramref name="models"/> (none: the surface), recording every model result under the phase
    /// current when the request started.
    /// </summary>
    public Task RunTrafficAsync(TrafficReport report, Func<string> phase, string[] models, int maxRequests, CancellationToken stop, int workers = 3) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => RunWorkerAsync(report, phase, models, w, workers, maxRequests / workers, stop), CancellationToken.None)));

    private async Task RunWorkerAsync(TrafficReport report, Func<string> phase, string[] models, int worker, int workers, int maxRequests, CancellationToken stop)
    {
        var random = new Random(7 + worker);
        var envs = Environments.Environments.Select(e => e.Name).ToArray();
        for (var i = 0; i < maxRequests && !stop.IsCancellationRequested; i++)
        {
            var env = envs[(i + worker) % envs.Length];
            var request = new ScoreRequest { UserId = $"u{random.Next(500)}", RequestId = $"r{worker}-{i}" };
            if (models.Length == 0)
            {
                request.Surface = "home";
            }
            else
            {
                request.Models.AddRange(models.Select(m => new ModelSelector { Name = m }));
            }

            for (var c = 0; c < 16; c++)
            {
                request.Candidates.Add(new Candidate { Id = $"c{random.Next(2000)}" });
            }

            var current = phase();
            report.Request();
            try
            {
                var response = await _rootChannels[env].CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser,
                    new RpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None);
                foreach (var result in response.Results)
                {
                    if (result.Status is { Code: not 0 } status)
                    {
                        report.RecordFailedResult(current, env, result.Model, result.Version, $"{current} {env} {result.Model}:{result.Version}: status {status.Code} {status.Message}");
                    }
                    else if (result.Candidates.Count != request.Candidates.Count)
                    {
                        report.Fail($"{current} {env} {result.Model}: {result.Candidates.Count} scores for {request.Candidates.Count} candidates");
                    }
                    else
                    {
                        report.Record(current, env, result.Model, result.Version, result.Trimmed);
                    }
                }
            }
            catch (Grpc.Core.RpcException e)
            {
                report.Fail($"{current} {env}: {e.StatusCode} {e.Message}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.StopAsync(TimeSpan.FromSeconds(10));
            await process.DisposeAsync();
        }

        foreach (var channel in _rootChannels.Values.Concat(_referenceChannels.Values))
        {
            channel.Dispose();
        }

        Leaves.Dispose();
        _http.Dispose();
        _dir.Dispose();
    }

    private async Task StartEnvironmentAsync(EnvironmentDirectory env, string featureStore, string[] leafModels, bool referenceRoot)
    {
        var repository = SampleModelRepository.Root;
        var (leafGrpc, leafHttp, rootGrpc, rootHttp, rootAdmin) = (LoopbackPort.Next(), LoopbackPort.Next(), LoopbackPort.Next(), LoopbackPort.Next(), LoopbackPort.Next());
        var leafConfig = Path.Combine(env.Path, "leaf.json");
        File.WriteAllText(leafConfig, JsonSerializer.Serialize(new
        {
            partition = "homefeed",
            repository = env.ModelsDirectory,
            device = "cpu",
            concurrency = 1,
            poll_interval_seconds = 1.0,
            watch = true,
            server = new { address = "127.0.0.1", grpc_port = leafGrpc, http_port = leafHttp },
            models = leafModels.Select(m => new { name = m, latest = 1 }).ToArray(),
        }));
        string RootConfig(string name, bool trimming)
        {
            var path = Path.Combine(env.Path, name);
            File.WriteAllText(path, JsonSerializer.Serialize(new
            {
                schema = "arbor.root/v1",
                feature_store = new { kind = "sqlite", path = featureStore },
                registry = Path.Combine(repository, "feature_registry.json"),
                bundles = new[] { env.BundlePath("homefeed") },
                fan_out = new { trimming, compression = "identity" },
                limits = new { max_candidates = 100, default_deadline_ms = 5000, leaf_timeout_ms = 4000 },
                warmup = new { enabled = false },
                partitions = new Dictionary<string, object> { ["homefeed"] = new { endpoints = new[] { $"http://127.0.0.1:{leafGrpc}" } } },
                models = leafModels.ToDictionary(m => m, _ => (object)new { partition = "homefeed" }),
                surfaces = new Dictionary<string, object> { ["home"] = new { models = new[] { leafModels[0] } } },
            }));
            return path;
        }

        var rootConfig = RootConfig("root.json", trimming: true);

        var leaf = StartArbor($"{env.Name}-leaf", ["leaf", "--config", leafConfig]);
        await leaf.WaitUntilReadyAsync(_http, new Uri($"http://127.0.0.1:{leafHttp}/healthz"), StartTimeout, TestContext.Current.CancellationToken);
        var root = StartArbor($"{env.Name}-root", ["root", "--config", rootConfig, "--grpc", $"127.0.0.1:{rootGrpc}", "--http", $"127.0.0.1:{rootHttp}", "--admin", $"127.0.0.1:{rootAdmin}"]);
        await root.WaitUntilReadyAsync(_http, new Uri($"http://127.0.0.1:{rootAdmin}/healthz"), StartTimeout, TestContext.Current.CancellationToken);
        Endpoints[env.Name] = new EnvironmentEndpoints([new Uri($"http://127.0.0.1:{rootAdmin}")], [new Uri($"http://127.0.0.1:{leafGrpc}")]);
        _rootChannels[env.Name] = new RpcChannel($"http://127.0.0.1:{rootGrpc}");
        if (referenceRoot)
        {
            var (referenceGrpc, referenceHttp, referenceAdmin) = (LoopbackPort.Next(), LoopbackPort.Next(), LoopbackPort.Next());
            var reference = StartArbor($"{env.Name}-reference-root", ["root", "--config", RootConfig("reference-root.json", trimming: false), "--grpc", $"127.0.0.1:{referenceGrpc}", "--http", $"127.0.0.1:{referenceHttp}", "--admin", $"127.0.0.1:{referenceAdmin}"]);
            await reference.WaitUntilReadyAsync(_http, new Uri($"http://127.0.0.1:{referenceAdmin}/healthz"), StartTimeout, TestContext.Current.CancellationToken);
            _referenceChannels[env.Name] = new RpcChannel($"http://127.0.0.1:{referenceGrpc}");
        }
        foreach (var model in env.ListModels().Where(leafModels.Contains))
        {
            await WaitForDefaultAsync(env.Name, model, env.DefaultVersion(model)!);
        }
    }

    private ManagedProcess StartArbor(string name, string[] arguments)
    {
        var process = ManagedProcess.Start(name, "dotnet", [Path.Combine(AppContext.BaseDirectory, "arbor.dll"), .. arguments]);
        _processes.Add(process);
        return process;
    }

    private static async Task<string> RunArborAsync(string[] arguments)
    {
        await using var process = ManagedProcess.Start("arbor " + arguments[0], "dotnet", [Path.Combine(AppContext.BaseDirectory, "arbor.dll"), .. arguments]);
        var started = Stopwatch.GetTimestamp();
        while (!process.HasExited)
        {
            if (Stopwatch.GetElapsedTime(started) > StartTimeout)
            {
                throw new TimeoutException($"arbor {string.Join(' ', arguments)} did not finish: {process.Output}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        }

        return process.Output;
    }
}
