using System.Globalization;
using System.Text.Json;
using Arbor.Features.Values;
using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Root.Preprocessing;
using Arbor.Root.Store;
using Arbor.Testing;
using Arbor.Testing.Feast;
using BenchmarkDotNet.Attributes;

namespace Arbor.Benchmarks;

/// <summary>
/// One request's feature fetch: 1 user + 500 candidates × 100 features (90 floats, 8 int64 lists of
/// 8, 2 float vectors of 32), straight from each store adapter, and through a warm cache. The native
/// stores hold the data in Arbor's packed layout (one row per entity); the Feast ones hold the same
/// data as Feast lays it out (one table per view, one row per entity and feature, written by
/// feast_writer.py; PostgreSQL gets the same rows) and are read by the Feast source.
/// </summary>
[MemoryDiagnoser]
public class FeatureReadBenchmarks
{
    private const int Candidates = 500;
    private const int Features = 100;

    private readonly FeatureProjection _projection = FeatureProjection.Of(Enumerable.Range(0, Features).Select(i => $"f{i}"));

    // The user's features as the Feast source names them: f0..f99 is mapped to the candidates' view, so
    // the user's are read by their Feast references (user_stats:f0...). The native stores: f0..f99.
    // The comparison of layouts is StoreRead; CacheHit and LoaderWarm do not reach the store (and over
    // a Feast store the loader's f0..f99 are the candidates' only).
    private FeatureProjection _userProjection = null!;
    private readonly string[] _candidateIds = [.. Enumerable.Range(0, Candidates).Select(i => $"c{i}")];
    private readonly string[] _userIds = ["u1"];
    private TempDirectory? _directory;
    private LocalPostgresServer? _postgres;
    private LocalRedisServer? _redis;
    private IServableFeatureSource _store = null!;
    private FeatureCache _cache = null!;
    private FeatureCacheMetrics _metrics = null!;
    private RequestFeatureLoader _loader = null!;
    private RequestFeatureQuery _query = null!;

    [Params("sqlite", "postgres", "redis", "feast-sqlite", "feast-postgres", "feast-redis")]
    public string Store { get; set; } = "sqlite";

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous setup, so
    // against PostgreSQL (truly asynchronous, unlike SQLite) the benchmark would start before it ends.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var entities = _candidateIds.Select(id => Entity(EntityKind.Candidate, id)).Append(Entity(EntityKind.User, "u1")).ToList();
        _userProjection = _projection;
        if (Store.StartsWith("feast-", StringComparison.Ordinal))
        {
            _store = await OpenFeastAsync(entities);
            _userProjection = FeatureProjection.Of(Enumerable.Range(0, Features).Select(i => $"{FeastWriter.UserView}:f{i}"));
        }
        else
        {
            IFeatureStore store = Store switch
            {
                "postgres" => new PostgresFeatureStore((_postgres = new LocalPostgresServer()).ConnectionString),
                "redis" => new Arbor.FeatureStore.Redis.RedisFeatureStore((_redis = new LocalRedisServer()).ConnectionString),
                _ => new SqliteFeatureStore((_directory = new TempDirectory()).Combine("features.db")),
            };
            _store = store;
            await store.InitializeAsync(CancellationToken.None);
            await using var writer = await store.BeginWriteAsync(CancellationToken.None);
            await writer.WriteAsync(entities, CancellationToken.None);
            await writer.CommitAsync(CancellationToken.None);
        }

        _metrics = new FeatureCacheMetrics();
        _cache = new FeatureCache(new PreprocessedFeatureSource(_store, FeaturePreprocessor.Empty), new FeatureCacheOptions(), TimeProvider.System, _metrics);
        _loader = new RequestFeatureLoader(_cache, FeaturePreprocessor.Empty);
        _query = new RequestFeatureQuery("u1", _candidateIds, FetchPlan.Create(_projection, FeaturePreprocessor.Empty));
        await _loader.LoadAsync(_query, CancellationToken.None);
    }

    private async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        _metrics.Dispose();
        _postgres?.Dispose();
        _redis?.Dispose();
        _directory?.Dispose();
    }

    /// <summary>Two batch reads straight from the store (what a fully cold request costs).</summary>
    [Benchmark]
    public async Task<int> StoreRead()
    {
        var user = _store.ReadAsync(EntityKind.User, _userIds, _userProjection, CancellationToken.None);
        var candidates = _store.ReadAsync(EntityKind.Candidate, _candidateIds, _projection, CancellationToken.None);
        return (await user).RowCount + (await candidates).RowCount;
    }

    /// <summary>The same two reads served by a warm cache.</summary>
    [Benchmark]
    public async Task<int> CacheHit()
    {
        var user = await _cache.ReadAsync(EntityKind.User, _userIds, _userProjection, CancellationToken.None);
        var candidates = await _cache.ReadAsync(EntityKind.Candidate, _candidateIds, _projection, CancellationToken.None);
        return user.RowCount + candidates.RowCount;
    }

    /// <summary>A warm-cache request through the loader: client values, reads, frames as views.</summary>
    [Benchmark]
    public async Task<int> LoaderWarm() => (await _loader.LoadAsync(_query, CancellationToken.None)).Candidates.RowCount;

    /// <summary>The same entities in Feast's layout: JSONL and a registry typing f0..f99, through feast_writer.py.</summary>
    private async Task<FeastFeatureSource> OpenFeastAsync(List<EntityFeatures> entities)
    {
        _directory = new TempDirectory();
        var registry = _directory.Combine("registry.json");
        var kinds = Entity(EntityKind.User, "u1").Features.Select(f => f.Value.Kind switch
        {
            FeatureType.Float => "float",
            FeatureType.Int64List => "int64_list",
            _ => "float_vector",
        });
        File.WriteAllText(registry, JsonSerializer.Serialize(new { features = kinds.Select((type, i) => new { name = $"f{i}", type }) }));
        var jsonl = _directory.Combine("features.jsonl");
        File.WriteAllLines(jsonl, entities.Select(e => JsonSerializer.Serialize(new
        {
            entity = e.Kind.ToName(),
            id = e.Id,
            features = e.Features.ToDictionary(f => f.Key, f => f.Value.Kind switch
            {
                FeatureType.Float => (object)f.Value.AsFloat(),
                FeatureType.Int64List => f.Value.AsInt64List().ToArray(),
                _ => f.Value.AsFloatVector().ToArray(),
            }),
        })));
        var database = Store == "feast-redis"
            ? string.Create(CultureInfo.InvariantCulture, $"redis://127.0.0.1:{(_redis = new LocalRedisServer()).Port}/0")
            : _directory.Combine("online_store.db");
        await FeastWriter.WriteAsync(registry, jsonl, database, DateTimeOffset.UtcNow, CancellationToken.None);
        var options = new FeastSourceOptions(
            FeastWriter.Project,
            [
                new FeastEntityOptions(EntityKind.User, FeastWriter.UserJoinKey, FeastKeyType.String, [new FeastViewOptions(FeastWriter.UserView, TimeSpan.Zero)]),
                new FeastEntityOptions(EntityKind.Candidate, FeastWriter.CandidateJoinKey, FeastKeyType.String, [new FeastViewOptions(FeastWriter.CandidateView, TimeSpan.Zero)]),
            ],
            _projection.Names.ToDictionary(name => name, name => new FeastFeatureRef(FeastWriter.CandidateView, name), StringComparer.Ordinal));
        FeastFeatureSource source;
        if (Store == "feast-postgres")
        {
            _postgres = new LocalPostgresServer();
            await FeastPostgresCopy.CopyAsync(database, _postgres.ConnectionString, FeastWriter.Project, [FeastWriter.UserView, FeastWriter.CandidateView], CancellationToken.None);
            source = FeastFeatureSource.OpenPostgres(_postgres.ConnectionString, options);
        }
        else if (_redis is not null)
        {
            source = FeastFeatureSource.OpenRedis(_redis.ConnectionString, options);
        }
        else
        {
            source = FeastFeatureSource.OpenSqlite(database, options);
        }

        await source.InitializeAsync(CancellationToken.None);
        return source;
    }

    internal static EntityFeatures Entity(EntityKind kind, string id)
    {
        var random = new Random(id.GetHashCode(StringComparison.Ordinal));
        var values = new List<KeyValuePair<string, TypedValue>>(Features);
        for (var f = 0; f < Features; f++)
        {
            var value = f switch
            {
                < 90 => TypedValue.FromFloat(random.NextSingle()),
                < 98 => TypedValue.FromInt64List([.. Enumerable.Range(0, 8).Select(_ => random.NextInt64(100_000))]),
                _ => TypedValue.FromFloatVector([.. Enumerable.Range(0, 32).Select(_ => random.NextSingle())]),
            };
            values.Add(new($"f{f}", value));
        }

        return new EntityFeatures(kind, id, values);
    }
}
