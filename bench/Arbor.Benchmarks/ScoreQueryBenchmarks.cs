using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Root.Scoring;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;

namespace Arbor.Benchmarks;

/// <summary>
/// Root CPU and allocation of reading a score request of the reference shape (300 candidates with
/// ids only, a surface, a user and one context feature) off the wire: the generated
/// <c>ScoreRequest</c> parser (an object, a map, a dictionary and a list per candidate) against a
/// <see cref="ScoreQuery"/> (an id per candidate).
/// </summary>
/// <remarks>
/// <c>ReadIdsThenCache*</c> read the request and then its candidates' cached features, as a root does
/// for a request of cached candidates: the ids made new strings and each looked up by the cache read,
/// against the ids resolved against the cache (its strings, the read using the slots found).
/// </remarks>
[MemoryDiagnoser]
public class ScoreQueryBenchmarks
{
    private const int Candidates = 300;

    // The cache holds the request's candidates among as many others (a root's working set).
    private const int CachedEntities = 2500;

    private static readonly FeatureProjection Projection = FeatureProjection.Of([.. Enumerable.Range(0, 32).Select(i => $"f{i}")]);

    private byte[] _bytes = [];
    private FeatureCache _cache = null!;
    private FeatureCacheMetrics _metrics = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261204);
        var request = new ScoreRequest { Surface = "homefeed", UserId = "user-000042", RequestId = "bench-request-0001" };
        request.Context["hour_of_day"] = new FeatureValue { FloatValue = 13 };
        for (var i = 0; i < Candidates; i++)
        {
            request.Candidates.Add(new Candidate { Id = $"item-{random.Next(1_000_000):D7}-{i}" });
        }

        _bytes = request.ToByteArray();
        _metrics = new FeatureCacheMetrics();
        _cache = new FeatureCache(new EveryIdSource(), new FeatureCacheOptions { TimeToLive = TimeSpan.FromHours(1) }, TimeProvider.System, _metrics);
        var ids = request.Candidates.Select(c => c.Id).Concat(Enumerable.Range(0, CachedEntities - Candidates).Select(i => $"other-{i}")).OrderBy(_ => random.Next()).ToArray();
        _cache.ReadAsync(EntityKind.Candidate, ids, Projection, CancellationToken.None).AsTask().GetAwaiter().GetResult().ReturnRows();
    }

    [GlobalCleanup]
    public void Cleanup() => _metrics.Dispose();

    [Benchmark(Baseline = true)]
    public int GeneratedRequest() => ScoreRequest.Parser.ParseFrom(_bytes).Candidates.Count;

    /// <summary>The request read and its ids made new strings (no cache to resolve them against).</summary>
    [Benchmark]
    public int Query() => ScoreQuery.Parse(_bytes).Ids.Count;

    [Benchmark]
    public async Task<int> ReadIdsThenCache_NewStrings()
    {
        var query = ScoreQuery.Parse(_bytes);
        var table = await _cache.ReadAsync(EntityKind.Candidate, query.Ids, Projection, CancellationToken.None);
        table.ReturnRows();
        return table.RowCount;
    }

    [Benchmark]
    public async Task<int> ReadIdsThenCache_Resolved()
    {
        var query = ScoreQuery.Parse(_bytes);
        query.ResolveIds(_cache);
        var table = await _cache.ReadAsync(EntityKind.Candidate, query.Ids, Projection, query.Slots!.Slots, CancellationToken.None);
        table.ReturnRows();
        query.ReturnSlots();
        return table.RowCount;
    }

    /// <summary>A store with 32 floats for every id it is asked for.</summary>
    private sealed class EveryIdSource : IFeatureSource
    {
        public ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
        {
            var rows = new TypedValue[]?[ids.Count];
            for (var r = 0; r < rows.Length; r++)
            {
                rows[r] = [.. Enumerable.Range(0, features.Count).Select(f => TypedValue.FromFloat(r + f))];
            }

            return ValueTask.FromResult(new FeatureTable(ids, features.Names, rows, FeatureTable.IdentitySlots(features.Count)));
        }
    }
}
