using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Root.Cache.Shared;
using Arbor.Root.Store;
using Arbor.Testing;
using BenchmarkDotNet.Attributes;

namespace Arbor.Benchmarks;

/// <summary>
/// The first request of a restarted root (its process cache empty): 1 user + 500 candidates × 100
/// features read from the SQLite store, or from a warm shared tier (Redis on loopback) in front of it.
/// </summary>
[MemoryDiagnoser]
public class SharedTierBenchmarks
{
    private const int Candidates = 500;

    private readonly FeatureProjection _projection = FeatureProjection.Of(Enumerable.Range(0, 100).Select(i => $"f{i}"));
    private readonly string[] _candidateIds = [.. Enumerable.Range(0, Candidates).Select(i => $"c{i}")];
    private readonly string[] _userIds = ["u1"];
    private TempDirectory _directory = null!;
    private LocalRedisServer? _redis;
    private IFeatureStore _store = null!;
    private SharedFeatureTier? _tier;
    private FeatureCacheMetrics _metrics = null!;
    private SharedTierMetrics _tierMetrics = null!;

    /// <summary><c>store</c>: the process cache reads the store; <c>tier</c>: a warm shared tier.</summary>
    [Params("store", "tier")]
    public string Source { get; set; } = "store";

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    /// <summary>A new (empty) process cache's first request: what a restarted root pays.</summary>
    [Benchmark]
    public async Task<int> RestartedRootFirstRead()
    {
        var cache = new FeatureCache((IFeatureSource?)_tier ?? _store, new FeatureCacheOptions(), TimeProvider.System, _metrics);
        var user = cache.ReadAsync(EntityKind.User, _userIds, _projection, CancellationToken.None);
        var candidates = cache.ReadAsync(EntityKind.Candidate, _candidateIds, _projection, CancellationToken.None);
        return (await user).RowCount + (await candidates).RowCount;
    }

    private async Task SetupAsync()
    {
        _directory = new TempDirectory();
        _store = new SqliteFeatureStore(_directory.Combine("features.db"));
        await _store.InitializeAsync(CancellationToken.None);
        await using (var writer = await _store.BeginWriteAsync(CancellationToken.None))
        {
            var entities = _candidateIds.Select(id => FeatureReadBenchmarks.Entity(EntityKind.Candidate, id)).Append(FeatureReadBenchmarks.Entity(EntityKind.User, "u1")).ToList();
            await writer.WriteAsync(entities, CancellationToken.None);
            await writer.CommitAsync(CancellationToken.None);
        }

        _metrics = new FeatureCacheMetrics();
        _tierMetrics = new SharedTierMetrics();
        if (Source == "tier")
        {
            _redis = new LocalRedisServer();
            _tier = new SharedFeatureTier(_store, new SharedTierOptions { Redis = _redis.ConnectionString, Timeout = TimeSpan.FromSeconds(5) }, TimeProvider.System, _tierMetrics);
            await _tier.ConnectAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            await RestartedRootFirstRead();
            while (_tier.PendingWrites > 0)
            {
                await Task.Yield();
            }
        }
    }

    private async Task CleanupAsync()
    {
        if (_tier is not null)
        {
            await _tier.DisposeAsync();
        }

        await _store.DisposeAsync();
        _metrics.Dispose();
        _tierMetrics.Dispose();
        _redis?.Dispose();
        _directory.Dispose();
    }
}
