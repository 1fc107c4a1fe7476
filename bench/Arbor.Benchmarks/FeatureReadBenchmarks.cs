using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.FeatureStore.Values;
using Arbor.Root.Cache;
using Arbor.Root.Preprocessing;
using Arbor.Root.Store;
using Arbor.Testing;
using BenchmarkDotNet.Attributes;

namespace Arbor.Benchmarks;

/// <summary>
/// One request's feature fetch: 1 user + 500 candidates × 100 features (90 floats, 8 int64 lists of
/// 8, 2 float vectors of 32), straight from each store adapter, and through a warm cache.
/// </summary>
[MemoryDiagnoser]
public class FeatureReadBenchmarks
{
    private const int Candidates = 500;
    private const int Features = 100;

    private readonly FeatureProjection _projection = FeatureProjection.Of(Enumerable.Range(0, Features).Select(i => $"f{i}"));
    private readonly string[] _candidateIds = [.. Enumerable.Range(0, Candidates).Select(i => $"c{i}")];
    private readonly string[] _userIds = ["u1"];
    private TempDirectory? _directory;
    private LocalPostgresServer? _postgres;
    private LocalRedisServer? _redis;
    private IFeatureStore _store = null!;
    private FeatureCache _cache = null!;
    private FeatureCacheMetrics _metrics = null!;
    private RequestFeatureLoader _loader = null!;
    private RequestFeatureQuery _query = null!;

    [Params("sqlite", "postgres", "redis")]
    public string Store { get; set; } = "sqlite";

    // Synchronous on purpose: the in-process toolchain does not wait for an asynchronous setup, so
    // against PostgreSQL (truly asynchronous, unlike SQLite) the benchmark would start before it ends.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        if (Store == "postgres")
        {
            _postgres = new LocalPostgresServer();
            _store = new PostgresFeatureStore(_postgres.ConnectionString);
        }
        else if (Store == "redis")
        {
            _redis = new LocalRedisServer();
            _store = new Arbor.FeatureStore.Redis.RedisFeatureStore(_redis.ConnectionString);
        }
        else
        {
            _directory = new TempDirectory();
            _store = new SqliteFeatureStore(_directory.Combine("features.db"));
        }

        await _store.InitializeAsync(CancellationToken.None);
        await using (var writer = await _store.BeginWriteAsync(CancellationToken.None))
        {
            var entities = _candidateIds.Select(id => Entity(EntityKind.Candidate, id)).Append(Entity(EntityKind.User, "u1")).ToList();
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
        var user = _store.ReadAsync(EntityKind.User, _userIds, _projection, CancellationToken.None);
        var candidates = _store.ReadAsync(EntityKind.Candidate, _candidateIds, _projection, CancellationToken.None);
        return (await user).RowCount + (await candidates).RowCount;
    }

    /// <summary>The same two reads served by a warm cache.</summary>
    [Benchmark]
    public async Task<int> CacheHit()
    {
        var user = await _cache.ReadAsync(EntityKind.User, _userIds, _projection, CancellationToken.None);
        var candidates = await _cache.ReadAsync(EntityKind.Candidate, _candidateIds, _projection, CancellationToken.None);
        return user.RowCount + candidates.RowCount;
    }

    /// <summary>A warm-cache request through the loader: client values, reads, frames as views.</summary>
    [Benchmark]
    public async Task<int> LoaderWarm() => (await _loader.LoadAsync(_query, CancellationToken.None)).Candidates.RowCount;

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
