using System.Text.Json.Nodes;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.Rpc.Client;
using Arbor.Signatures.Bundles;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Observability;

/// <summary>
/// One leaf process (partition <c>related</c>, its sample models through libtorch) behind one root
/// process (<c>arbor root</c>, trimming on, the sample store and bundle), both as they run in
/// production, for tests that look at what they export. Both push OTLP to <see cref="Otlp"/>: the
/// root because its config file names it, the leaf through <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>; both
/// log JSON (the root by its config file, the leaf by <c>Logging__Console__FormatterName</c>) to files.
/// </summary>
public sealed class ObservedCluster : IAsyncLifetime
{
    /// <summary>The collection of the tests sharing one cluster.</summary>
    public const string Collection = "observed cluster";

    public const string Partition = "related";

    private readonly TempDirectory _directory = new("arbor-observed-");

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public ManagedProcess Leaf { get; private set; } = null!;

    public ManagedProcess Root { get; private set; } = null!;

    /// <summary>The leaf's HTTP/1.1 port (health, models, metrics).</summary>
    public Uri LeafHttp { get; private set; } = null!;

    /// <summary>The root's admin listener (health, admin, metrics).</summary>
    public Uri RootAdmin { get; private set; } = null!;

    public RpcChannel RootGrpc { get; private set; } = null!;

    public OtlpReceiver Otlp { get; private set; } = null!;

    public IReadOnlyList<string> Models { get; private set; } = [];

    public IReadOnlyList<string> UserIds { get; private set; } = [];

    public IReadOnlyList<string> CandidateIds { get; private set; } = [];

    /// <summary>Spans every 200 ms, metrics every 500 ms (the SDK's defaults are 5 s and 60 s).</summary>
    private static readonly Dictionary<string, string> ExportQuickly = new(StringComparer.Ordinal)
    {
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
    };

    public async ValueTask InitializeAsync()
    {
        Otlp = await OtlpReceiver.StartAsync();
        var repo = SampleModelRepository.Root;
        var manifest = PartitionManifestJson.ReadFile(Path.Combine(repo, PartitionManifest.FileName));
        Models = manifest.Partitions[Partition].Models;
        // The first model is served at its oldest version while the bundle trims it for a newer one
        // whose allowlist covers the oldest's features: the leaf scores such calls as sent (no trim
        // gap) and the root counts a version mismatch.
        var builder = new BundleBuilder(TimeProvider.System);
        var versions = manifest.Partitions[Partition].Versions[Models[0]];
        var every = builder.Build(new BundleBuildRequest(repo, Partition)).Document.Models[Models[0]].Versions;
        var covering = versions.Skip(1).Last(v => every[versions[0]].Features.All(every[v].Features.Contains));
        var bundle = builder.Build(new BundleBuildRequest(repo, Partition, Latest: new Dictionary<string, string> { [Models[0]] = covering }));
        var bundlePath = _directory.Combine($"{Partition}.bundle.json");
        await File.WriteAllTextAsync(bundlePath, BundleJson.ToJsonString(bundle.Document));

        var leafGrpc = LoopbackPort.Next();
        var leafHttp = LoopbackPort.Next();
        var leafConfig = new JsonObject
        {
            ["partition"] = Partition,
            ["repository"] = repo,
            ["concurrency"] = 1,
            // The first model at its oldest version (see the bundle above).
            ["models"] = new JsonArray([.. Models.Select((m, i) => (JsonNode)(i == 0
                ? new JsonObject { ["name"] = m, ["versions"] = new JsonArray(manifest.Partitions[Partition].Versions[m][0]) }
                : new JsonObject { ["name"] = m, ["latest"] = 1 }))]),
            ["server"] = new JsonObject { ["address"] = "127.0.0.1", ["grpc_port"] = leafGrpc, ["http_port"] = leafHttp },
        };
        var leafConfigPath = _directory.Combine("leaf.json");
        await File.WriteAllTextAsync(leafConfigPath, leafConfig.ToJsonString());
        var leafEnvironment = new Dictionary<string, string>(ExportQuickly, StringComparer.Ordinal)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Otlp.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["Logging__Console__FormatterName"] = "json",
        };
        Leaf = ManagedProcess.Start("leaf", "dotnet", [Path.Combine(AppContext.BaseDirectory, "arbor.dll"), "leaf", "--config", leafConfigPath], environment: leafEnvironment, logFile: _directory.Combine("logs", "leaf.log"));
        LeafHttp = new Uri($"http://127.0.0.1:{leafHttp}");

        var storePath = _directory.Combine("features.db");
        await using (var store = new SqliteFeatureStore(storePath))
        {
            await store.InitializeAsync(CancellationToken.None);
            var registry = Arbor.Signatures.Registry.FeatureRegistryJson.ReadFile(Path.Combine(repo, "feature_registry.json"));
            await using var data = File.OpenRead(Path.Combine(repo, "features.jsonl"));
            await JsonlFeatureImporter.ImportAsync(store, data, "features.jsonl", new Arbor.Root.Preprocessing.FeaturePreprocessor(registry), JsonlFeatureImporter.DefaultBatchSize, CancellationToken.None);
        }

        (UserIds, CandidateIds) = ReadIds(Path.Combine(repo, "features.jsonl"));
        var models = new JsonObject();
        foreach (var model in Models)
        {
            models[model] = new JsonObject { ["partition"] = Partition };
        }

        var rootConfig = new JsonObject
        {
            ["schema"] = "arbor.root/v1",
            ["feature_store"] = new JsonObject { ["kind"] = "sqlite", ["path"] = storePath },
            ["registry"] = Path.Combine(repo, "feature_registry.json"),
            ["bundles"] = new JsonArray(bundlePath),
            ["fan_out"] = new JsonObject { ["trimming"] = true, ["compression"] = "identity" },
            ["limits"] = new JsonObject { ["default_deadline_ms"] = 60000 },
            ["warmup"] = new JsonObject { ["enabled"] = false },
            ["partitions"] = new JsonObject { [Partition] = new JsonObject { ["endpoints"] = new JsonArray($"http://127.0.0.1:{leafGrpc}") } },
            ["models"] = models,
            ["surfaces"] = new JsonObject { ["related"] = new JsonObject { ["models"] = new JsonArray([.. Models.Select(m => (JsonNode)m)]) } },
            ["telemetry"] = new JsonObject { ["otlp_endpoint"] = Otlp.Endpoint.ToString(), ["otlp_protocol"] = "http/protobuf", ["log_format"] = "json" },
        };
        var rootConfigPath = _directory.Combine("root.json");
        await File.WriteAllTextAsync(rootConfigPath, rootConfig.ToJsonString());
        var rootGrpc = $"127.0.0.1:{LoopbackPort.Next()}";
        var rootHttp = $"127.0.0.1:{LoopbackPort.Next()}";
        var rootAdmin = $"127.0.0.1:{LoopbackPort.Next()}";
        Root = ManagedProcess.Start("root", "dotnet", [Path.Combine(AppContext.BaseDirectory, "arbor.dll"), "root", "--config", rootConfigPath, "--grpc", rootGrpc, "--http", rootHttp, "--admin", rootAdmin], environment: ExportQuickly, logFile: _directory.Combine("logs", "root.log"));
        RootAdmin = new Uri($"http://{rootAdmin}");
        RootGrpc = new RpcChannel($"http://{rootGrpc}");

        await Leaf.WaitUntilReadyAsync(Http, new Uri(LeafHttp, "/readyz"), TimeSpan.FromMinutes(3), CancellationToken.None);
        await Root.WaitUntilReadyAsync(Http, new Uri(RootAdmin, "/readyz"), TimeSpan.FromMinutes(3), CancellationToken.None);
    }

    /// <summary>A request for every model of the partition over <paramref name="candidates"/> sample candidates.</summary>
    public ScoreRequest Request(string requestId, int candidates)
    {
        var request = new ScoreRequest { Surface = "related", UserId = UserIds[0], RequestId = requestId };
        foreach (var id in CandidateIds.Take(candidates))
        {
            request.Candidates.Add(new Candidate { Id = id });
        }

        return request;
    }

    public Task<ScoreResponse> ScoreAsync(ScoreRequest request) =>
        RootGrpc.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(60) });

    public async ValueTask DisposeAsync()
    {
        if (Root is not null)
        {
            await Root.DisposeAsync();
        }

        if (Leaf is not null)
        {
            await Leaf.DisposeAsync();
        }

        RootGrpc?.Dispose();
        if (Otlp is not null)
        {
            await Otlp.DisposeAsync();
        }

        Http.Dispose();
        _directory.Dispose();
    }

    private static (List<string> Users, List<string> Candidates) ReadIds(string jsonl)
    {
        List<string> users = [], candidates = [];
        foreach (var line in File.ReadLines(jsonl))
        {
            using var entity = System.Text.Json.JsonDocument.Parse(line);
            var id = entity.RootElement.GetProperty("id").GetString()!;
            (entity.RootElement.GetProperty("entity").GetString() == "user" ? users : candidates).Add(id);
        }

        return (users, candidates);
    }
}
