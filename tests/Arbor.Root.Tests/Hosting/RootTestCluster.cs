using System.Net;
using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Hosting;
using Arbor.Root.Store;
using Arbor.Rpc.Client;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Registry;
using Arbor.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// A real root host (gRPC and JSON) on loopback over a SQLite store, a registry and a bundle on
/// disk, fanning out to two in-process fake leaves: partition <c>pa</c> serves <c>m_a</c>, partition
/// <c>pb</c> serves <c>m_b</c>.
/// </summary>
internal sealed class RootTestCluster : IAsyncDisposable
{
    public static readonly Dictionary<string, string[]> Uses = new()
    {
        ["m_a"] = ["u_age", "c_ctr", "c_ids"],
        ["m_b"] = ["u_emb", "c_len", "ctx_hour"],
    };

    public const int Candidates = 5;
    public const int UnusedFeatures = 20;

    private readonly TempDirectory _directory;
    private WebApplication? _root;
    private System.Net.Security.SslClientAuthenticationOptions? _rootClientTls;
    private Action<ILoggingBuilder>? _logging;

    private RootTestCluster(TempDirectory directory, FakeLeaf leafA, FakeLeaf leafB)
    {
        _directory = directory;
        LeafA = leafA;
        LeafB = leafB;
    }

    public FakeLeaf LeafA { get; }

    public FakeLeaf LeafB { get; }

    public RpcChannel Channel { get; private set; } = null!;

    /// <summary>The public HTTP listener (JSON scoring).</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The admin listener (health, admin).</summary>
    public HttpClient Admin { get; private set; } = null!;

    public IPEndPoint GrpcEndpoint { get; private set; } = null!;

    public IPEndPoint HttpEndpoint { get; private set; } = null!;

    public IPEndPoint AdminEndpoint { get; private set; } = null!;

    public string ConfigPath => _directory.Combine("root.json");

    /// <summary>The root's services (its meter factory scopes the root's metrics).</summary>
    public IServiceProvider Services => _root!.Services;

    /// <summary>The cluster's folder (config, registry, bundle, store).</summary>
    public string Directory => _directory.Path;

    /// <param name="postgres">Use this PostgreSQL server as the feature store instead of a SQLite file.</param>
    /// <param name="cacheTtlSeconds">The feature cache's time to live.</param>
    /// <param name="defaultDeadlineMs">The deadline of requests that carry none (limits.default_deadline_ms).</param>
    /// <param name="admission">The <c>admission</c> section (JSON).</param>
    /// <param name="leafBEndpoints">Partition <c>pb</c>'s endpoints (JSON strings joined by <c>", "</c>) from leaf B.</param>
    /// <param name="leafAEndpoints">Partition <c>pa</c>'s endpoints, likewise from leaf A.</param>
    /// <param name="editConfig">Changes the config text before the root starts.</param>
    /// <param name="beforeStart">Runs with the cluster's directory before the root starts (to write secret files).</param>
    /// <param name="logging">Adds the root's log providers (none by default).</param>
    /// <param name="warmup">The <c>warmup</c> section (JSON); off by default, so that the leaves see only a test's calls.</param>
    public static async Task<RootTestCluster> StartAsync(
        bool trimming = true,
        string compression = "identity",
        string? leafBAddress = null,
        int? leafTimeoutMs = null,
        LocalPostgresServer? postgres = null,
        double cacheTtlSeconds = 300,
        int defaultDeadlineMs = 30000,
        string admission = "{}",
        Func<FakeLeaf, string>? leafBEndpoints = null,
        Func<FakeLeaf, string>? leafAEndpoints = null,
        Func<string, string>? editConfig = null,
        Action<string>? beforeStart = null,
        Arbor.Rpc.Tls.TlsCredentialSource? leafTls = null,
        System.Net.Security.SslClientAuthenticationOptions? rootClientTls = null,
        Action<ILoggingBuilder>? logging = null,
        string warmup = WarmupOff)
    {
        var directory = new TempDirectory("arbor-root-");
        var cluster = new RootTestCluster(directory, await FakeLeaf.StartAsync(Uses, tls: leafTls), await FakeLeaf.StartAsync(Uses, tls: leafTls)) { _rootClientTls = rootClientTls, _logging = logging };
        await cluster.WriteArtefactsAsync(postgres);
        var config = Config(trimming, compression, leafAEndpoints?.Invoke(cluster.LeafA) ?? cluster.LeafA.Address, leafBEndpoints?.Invoke(cluster.LeafB) ?? leafBAddress ?? cluster.LeafB.Address, leafTimeoutMs, defaultDeadlineMs)
            .Replace("\"admission\": {}", $"\"admission\": {admission}", StringComparison.Ordinal)
            .Replace($"\"warmup\": {WarmupOff}", $"\"warmup\": {warmup}", StringComparison.Ordinal)
            .Replace("\"cache\": {}", $"\"cache\": {{ \"ttl_seconds\": {cacheTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} }}", StringComparison.Ordinal);
        if (postgres is not null)
        {
            config = config.Replace(
                "{ \"kind\": \"sqlite\", \"path\": \"features.db\" }",
                $"{{ \"kind\": \"postgres\", \"connection_string\": \"{postgres.ConnectionString}\" }}",
                StringComparison.Ordinal);
        }

        File.WriteAllText(cluster.ConfigPath, editConfig is null ? config : editConfig(config));
        beforeStart?.Invoke(directory.Path);
        try
        {
            await cluster.StartRootAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public static string Config(bool trimming, string compression, string leafA, string leafB, int? leafTimeoutMs = null, int defaultDeadlineMs = 30000) => $$"""
        {
          "schema": "arbor.root/v1",
          "feature_store": { "kind": "sqlite", "path": "features.db" },
          "cache": {},
          "admission": {},
          "warmup": {{WarmupOff}},
          "registry": "registry.json",
          "bundles": ["bundle.json"],
          "fan_out": { "trimming": {{(trimming ? "true" : "false")}}, "compression": "{{compression}}", "compression_threshold_bytes": 0 },
          "trimmer": {{ShadowOff}},
          "limits": { "max_candidates": 50, "default_deadline_ms": {{defaultDeadlineMs}}{{(leafTimeoutMs is { } t ? $", \"leaf_timeout_ms\": {t}" : "")}} },
          "partitions": { "pa": { "endpoints": ["{{leafA}}"] }, "pb": { "endpoints": ["{{leafB}}"] } },
          "models": { "m_a": { "partition": "pa" }, "m_b": { "partition": "pb" } },
          "surfaces": { "home": { "models": ["m_a", "m_b"] } }
        }
        """;

    /// <summary>
    /// The <c>trimmer</c> section of the cluster's config: no shadow pairs (by default a small sample
    /// of calls is sent again as a pair), so that the leaves see only a test's calls.
    /// </summary>
    public const string ShadowOff = "{ \"shadow_fraction\": 0 }";

    /// <summary>The <c>warmup</c> section of the cluster's config unless a test asks for another.</summary>
    public const string WarmupOff = "{ \"enabled\": false }";

    public static ScoreRequest Request(int candidates = Candidates, string user = "u1")
    {
        var request = new ScoreRequest { Surface = "home", UserId = user, RequestId = "r1" };
        for (var i = 0; i < candidates; i++)
        {
            request.Candidates.Add(new Candidate { Id = $"c{i}" });
        }

        request.Context.Add("ctx_hour", new FeatureValue { FloatValue = 13 });
        return request;
    }

    public Task<ScoreResponse> ScoreAsync(ScoreRequest request, TimeSpan? timeout = null) =>
        Channel.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = timeout ?? TimeSpan.FromSeconds(10) });

    public async ValueTask DisposeAsync()
    {
        Channel?.Dispose();
        Http?.Dispose();
        Admin?.Dispose();
        if (_root is not null)
        {
            await _root.StopAsync();
            await _root.DisposeAsync();
        }

        await LeafA.DisposeAsync();
        await LeafB.DisposeAsync();
        _directory.Dispose();
    }

    private async Task StartRootAsync()
    {
        var grpc = new IPEndPoint(IPAddress.Loopback, LoopbackPort.Next());
        var http = new IPEndPoint(IPAddress.Loopback, LoopbackPort.Next());
        var admin = new IPEndPoint(IPAddress.Loopback, LoopbackPort.Next());
        (GrpcEndpoint, HttpEndpoint, AdminEndpoint) = (grpc, http, admin);
        _root = RootHost.Build(
            new RootHostOptions { ConfigPath = ConfigPath, GrpcEndpoint = grpc, HttpEndpoint = http, AdminEndpoint = admin, ConfigPollInterval = TimeSpan.FromMilliseconds(50) },
            logging =>
            {
                logging.ClearProviders();
                _logging?.Invoke(logging);
            });
        await _root.StartAsync();
        if (_rootClientTls is { } tls)
        {
            // The public listeners serve TLS: the client trusts what the test says.
            Channel = new RpcChannel($"https://{grpc}", new RpcChannelOptions { SslOptions = tls });
            Http = new HttpClient(new SocketsHttpHandler { SslOptions = tls }) { BaseAddress = new Uri($"https://{http}") };
        }
        else
        {
            Channel = new RpcChannel($"http://{grpc}");
            Http = new HttpClient { BaseAddress = new Uri($"http://{http}") };
        }

        Admin = new HttpClient { BaseAddress = new Uri($"http://{admin}") };
    }

    /// <summary>Writes the trimmer bundle with these allowlists (version "1" of each model); the root reloads it.</summary>
    public void WriteBundle(IReadOnlyDictionary<string, string[]> allowlists)
    {
        var models = allowlists.ToDictionary(
            m => m.Key,
            m => new BundleModel("1", new Dictionary<string, BundleModelVersion> { ["1"] = new([.. m.Value], new string('a', 64)) }));
        var path = _directory.Combine("bundle.json");
        File.WriteAllText(path + ".tmp", BundleJson.ToJsonString(new BundleDocument(BundleDocument.SchemaV1, "test", DateTimeOffset.UnixEpoch, models)));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private async Task WriteArtefactsAsync(LocalPostgresServer? postgres)
    {
        List<FeatureDefinition> features =
        [
            new("u_age", FeatureType.Float, FeatureEntity.User),
            new("u_emb", FeatureType.FloatVector, FeatureEntity.User, Dim: 4),
            new("c_ctr", FeatureType.Float, FeatureEntity.Candidate),
            new("c_len", FeatureType.Float, FeatureEntity.Candidate, Transforms: [new FeatureTransform(TransformKind.Clip, Min: 0, Max: 100)]),
            new("c_ids", FeatureType.Int64List, FeatureEntity.Candidate),
            new("ctx_hour", FeatureType.Float, FeatureEntity.Context),
        ];
        for (var i = 0; i < UnusedFeatures; i++)
        {
            features.Add(new($"c_unused_{i}", FeatureType.Float, FeatureEntity.Candidate));
        }

        File.WriteAllText(_directory.Combine("registry.json"), FeatureRegistryJson.ToJsonString(new FeatureRegistry(FeatureRegistry.SchemaV1, features)));

        WriteBundle(Uses);

        await using IFeatureStore store = postgres is null ? new SqliteFeatureStore(_directory.Combine("features.db")) : new PostgresFeatureStore(postgres.ConnectionString);
        await store.InitializeAsync(CancellationToken.None);
        await using var writer = await store.BeginWriteAsync(CancellationToken.None);
        var rows = new List<EntityFeatures>
        {
            new(EntityKind.User, "u1", [new("u_age", TypedValue.FromFloat(30)), new("u_emb", TypedValue.FromFloatVector([1, 2, 3, 4]))]),
            new(EntityKind.User, "u9", [new("u_age", TypedValue.FromFloat(41.25f)), new("u_emb", TypedValue.FromFloatVector([0.5f, 0.25f, 2, 8]))]),
        };
        for (var i = 0; i < 10; i++)
        {
            List<KeyValuePair<string, TypedValue>> values =
            [
                new("c_ctr", TypedValue.FromFloat(i / 10f)),
                new("c_len", TypedValue.FromFloat(i * 40)),
                new("c_ids", TypedValue.FromInt64List([.. Enumerable.Range(0, i).Select(x => (long)x)])),
            ];
            for (var u = 0; u < UnusedFeatures; u++)
            {
                values.Add(new($"c_unused_{u}", TypedValue.FromFloat(u + i)));
            }

            rows.Add(new(EntityKind.Candidate, $"c{i}", values));
        }

        await writer.WriteAsync(rows, CancellationToken.None);
        await writer.CommitAsync(CancellationToken.None);
    }
}
