using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.Root.Hosting;
using Arbor.Rpc.Client;
using Arbor.Signatures.Bundles;
using Arbor.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Arbor.FunctionalTests.EndToEnd;

/// <summary>
/// The sample system end to end: two real leaf processes (partitions <c>homefeed</c> and
/// <c>related</c>, every sample model version loaded through libtorch), bundles built from the
/// sample repository, a SQLite store loaded with the sample feature data, and three in-process
/// roots over them: trimmed, untrimmed, and one with a transform-free registry for golden checks.
/// </summary>
public sealed class SampleCluster : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("arbor-e2e-");
    private readonly List<ManagedProcess> _leaves = [];
    private readonly List<WebApplication> _roots = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private JsonArray _bundles = [];
    private JsonObject _partitions = [];
    private JsonObject _models = [];

    public RpcChannel Trimmed { get; private set; } = null!;

    public RpcChannel Untrimmed { get; private set; } = null!;

    /// <summary>A root whose registry has no transforms and whose store is empty: it sends what the client sends.</summary>
    public RpcChannel Verbatim { get; private set; } = null!;

    public IReadOnlyList<string> UserIds { get; private set; } = [];

    public IReadOnlyList<string> CandidateIds { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        var repo = SampleModelRepository.Root;
        var manifest = PartitionManifestJson.ReadFile(Path.Combine(repo, PartitionManifest.FileName));
        var builder = new BundleBuilder(TimeProvider.System);
        var partitions = new JsonObject();
        var models = new JsonObject();
        var bundles = new JsonArray();
        foreach (var (name, partition) in manifest.Partitions)
        {
            var bundle = builder.Build(new BundleBuildRequest(repo, name));
            var bundlePath = _directory.Combine($"{name}.bundle.json");
            await File.WriteAllTextAsync(bundlePath, BundleJson.ToJsonString(bundle.Document));
            bundles.Add(bundlePath);

            var grpcPort = LoopbackPort.Next();
            var httpPort = LoopbackPort.Next();
            var config = new JsonObject
            {
                ["partition"] = name,
                ["repository"] = repo,
                ["models"] = new JsonArray([.. partition.Models.Select(m => (JsonNode)new JsonObject { ["name"] = m, ["latest"] = 10 })]),
                ["server"] = new JsonObject { ["address"] = "127.0.0.1", ["grpc_port"] = grpcPort, ["http_port"] = httpPort },
            };
            var configPath = _directory.Combine($"{name}.leaf.json");
            await File.WriteAllTextAsync(configPath, config.ToJsonString());
            var leaf = ManagedProcess.Start($"leaf {name}", "dotnet", [Path.Combine(AppContext.BaseDirectory, "arbor.dll"), "leaf", "--config", configPath]);
            _leaves.Add(leaf);
            partitions[name] = new JsonObject { ["endpoints"] = new JsonArray($"http://127.0.0.1:{grpcPort}") };
            foreach (var model in partition.Models)
            {
                models[model] = new JsonObject { ["partition"] = name };
            }

            await leaf.WaitUntilReadyAsync(_http, new Uri($"http://127.0.0.1:{httpPort}/readyz"), TimeSpan.FromMinutes(3), CancellationToken.None);
        }

        var storePath = _directory.Combine("features.db");
        await using (var store = new SqliteFeatureStore(storePath))
        {
            await store.InitializeAsync(CancellationToken.None);
            var registry = Arbor.Signatures.Registry.FeatureRegistryJson.ReadFile(Path.Combine(repo, "feature_registry.json"));
            await using var data = File.OpenRead(Path.Combine(repo, "features.jsonl"));
            await JsonlFeatureImporter.ImportAsync(store, data, "features.jsonl", new Arbor.Root.Preprocessing.FeaturePreprocessor(registry), JsonlFeatureImporter.DefaultBatchSize, CancellationToken.None);
        }

        (UserIds, CandidateIds) = ReadIds(Path.Combine(repo, "features.jsonl"));
        var verbatimRegistry = _directory.Combine("registry.no-transforms.json");
        await File.WriteAllTextAsync(verbatimRegistry, WithoutTransforms(await File.ReadAllTextAsync(Path.Combine(repo, "feature_registry.json"))));
        await using (var empty = new SqliteFeatureStore(_directory.Combine("empty.db")))
        {
            await empty.InitializeAsync(CancellationToken.None);
        }

        (_bundles, _partitions, _models) = (bundles, partitions, models);
        Trimmed = await StartRootAsync("trimmed", RootConfig(true, Path.Combine(repo, "feature_registry.json"), Sqlite(storePath), bundles, partitions, models));
        Untrimmed = await StartRootAsync("untrimmed", RootConfig(false, Path.Combine(repo, "feature_registry.json"), Sqlite(storePath), bundles, partitions, models));
        Verbatim = await StartRootAsync("verbatim", RootConfig(true, verbatimRegistry, Sqlite(_directory.Combine("empty.db")), bundles, partitions, models));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var root in _roots)
        {
            await root.StopAsync();
            await root.DisposeAsync();
        }

        foreach (var leaf in _leaves)
        {
            await leaf.DisposeAsync();
        }

        Trimmed?.Dispose();
        Untrimmed?.Dispose();
        Verbatim?.Dispose();
        _http.Dispose();
        _directory.Dispose();
    }

    /// <summary>The folder the cluster's stores, configs and bundles live in (removed with it).</summary>
    public string WorkDirectory => _directory.Path;

    /// <summary>
    /// Starts one more trimmed root over the same leaves, registry and bundles, reading features from
    /// <paramref name="featureStore"/> (its <c>feature_store</c> section); stopped with the cluster.
    /// </summary>
    /// <summary>A trimmed root over <paramref name="featureStore"/>; <paramref name="cacheTtlSeconds"/>, when given, is its feature cache's time to live.</summary>
    public Task<RpcChannel> StartRootOverAsync(string name, JsonObject featureStore, double? cacheTtlSeconds = null)
    {
        var config = RootConfig(true, SampleModelRepository.Combine("feature_registry.json"), featureStore, _bundles, _partitions, _models);
        if (cacheTtlSeconds is { } ttl)
        {
            config["cache"] = new JsonObject { ["ttl_seconds"] = ttl };
        }

        return StartRootAsync(name, config);
    }

    /// <summary>One more trimmed root over the same leaves and store whose <c>fan_out.partition_calls</c> is <paramref name="partitionCalls"/>; its services give its metrics.</summary>
    public async Task<(RpcChannel Channel, IServiceProvider Services)> StartRootWithPartitionCallsAsync(string name, string partitionCalls)
    {
        var config = RootConfig(true, SampleModelRepository.Combine("feature_registry.json"), Sqlite(_directory.Combine("features.db")), _bundles, _partitions, _models);
        config["fan_out"]!["partition_calls"] = partitionCalls;
        var channel = await StartRootAsync(name, config);
        return (channel, _roots[^1].Services);
    }

    public static Task<ScoreResponse> ScoreAsync(RpcChannel root, ScoreRequest request) =>
        root.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(60) });

    private async Task<RpcChannel> StartRootAsync(string name, JsonObject config)
    {
        var path = _directory.Combine($"{name}.root.json");
        await File.WriteAllTextAsync(path, config.ToJsonString());
        var grpc = new IPEndPoint(IPAddress.Loopback, LoopbackPort.Next());
        var app = RootHost.Build(
            new RootHostOptions { ConfigPath = path, GrpcEndpoint = grpc, HttpEndpoint = new IPEndPoint(IPAddress.Loopback, LoopbackPort.Next()), AdminEndpoint = new IPEndPoint(IPAddress.Loopback, LoopbackPort.Next()) },
            logging => logging.ClearProviders());
        await app.StartAsync();
        _roots.Add(app);
        return new RpcChannel($"http://{grpc}");
    }

    private static JsonObject Sqlite(string path) => new() { ["kind"] = "sqlite", ["path"] = path };

    private static JsonObject RootConfig(bool trimming, string registry, JsonObject store, JsonArray bundles, JsonObject partitions, JsonObject models) => new()
    {
        ["schema"] = "arbor.root/v1",
        ["feature_store"] = store.DeepClone(),
        ["registry"] = registry,
        ["bundles"] = bundles.DeepClone(),
        ["fan_out"] = new JsonObject { ["trimming"] = trimming, ["compression"] = "lz4" },
        ["limits"] = new JsonObject { ["max_candidates"] = 1000, ["default_deadline_ms"] = 60000 },
        ["warmup"] = new JsonObject { ["enabled"] = false },
        ["partitions"] = partitions.DeepClone(),
        ["models"] = models.DeepClone(),
        ["surfaces"] = new JsonObject
        {
            ["homefeed"] = new JsonObject { ["models"] = new JsonArray("homefeed_ctr", "homefeed_ctr_exp_a", "homefeed_ctr_exp_b", "related_mt", "related_mt_exp_a") },
        },
    };

    private static string WithoutTransforms(string registryJson)
    {
        var registry = JsonNode.Parse(registryJson)!;
        foreach (var feature in registry["features"]!.AsArray())
        {
            feature!.AsObject().Remove("transforms");
        }

        return registry.ToJsonString();
    }

    private static (List<string> Users, List<string> Candidates) ReadIds(string jsonl)
    {
        List<string> users = [], candidates = [];
        foreach (var line in File.ReadLines(jsonl))
        {
            using var entity = JsonDocument.Parse(line);
            var id = entity.RootElement.GetProperty("id").GetString()!;
            (entity.RootElement.GetProperty("entity").GetString() == "user" ? users : candidates).Add(id);
        }

        return (users, candidates);
    }
}
