using System.Text;
using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Root.Preprocessing;
using Arbor.Root.Tests.Cache;
using Arbor.Signatures.Registry;
using Arbor.Testing;
using Xunit;

namespace Arbor.Root.Tests.Preprocessing;

public sealed class RequestFeatureLoaderTests
{
    private static readonly FeaturePreprocessor Preprocessor = new(new FeatureRegistry(FeatureRegistry.SchemaV1,
    [
        new("user_age_days", FeatureType.Float, FeatureEntity.User, Transforms: [new(TransformKind.DefaultFill, Fill: 30), new(TransformKind.Log1p)]),
        new("user_emb", FeatureType.FloatVector, FeatureEntity.User, Dim: 2),
        new("pin_ctr", FeatureType.Float, FeatureEntity.Candidate, Transforms: [new(TransformKind.Clip, Min: 0, Max: 1)]),
        new("pin_age_bucket", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: -1), new(TransformKind.Bucketize, Boundaries: [0, 7, 30])]),
        new("device", FeatureType.Int64, FeatureEntity.Context, Transforms: [new(TransformKind.HashToId, Buckets: 64)]),
    ]));

    private readonly FakeFeatureSource _store = new();

    public RequestFeatureLoaderTests()
    {
        _store.Set(EntityKind.User, "u1", "user_emb", TypedValue.FromFloatVector([1f, 2f]));
        _store.Set(EntityKind.Candidate, "p1", "pin_ctr", TypedValue.FromFloat(1.7f));
        _store.Set(EntityKind.Candidate, "p1", "pin_age_bucket", TypedValue.FromFloat(10f));
        _store.Set(EntityKind.Candidate, "p2", "pin_ctr", TypedValue.FromFloat(0.2f));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PreprocessedFeatureSource Preprocessed(IFeatureSource store) => new(store, Preprocessor);

    private static FetchPlan Plan(FeatureProjection needed) => FetchPlan.Create(needed, Preprocessor);

    [Fact]
    public async Task Load_PreprocessesStoredAndMissingValues()
    {
        var loader = new RequestFeatureLoader(Preprocessed(_store), Preprocessor);

        var features = await loader.LoadAsync(new RequestFeatureQuery("u1", ["p1", "p2"], Plan(FeatureProjection.All)), Ct);

        Assert.Equal((float)Math.Log(31), features.User[0, features.User.IndexOf("user_age_days")].AsFloat());
        Assert.Equal([1f, 2f], features.User[0, features.User.IndexOf("user_emb")].AsFloatVector().ToArray());
        var ctr = features.Candidates.Column(features.Candidates.IndexOf("pin_ctr"));
        Assert.Equal([1f, 0.2f], [ctr[0].AsFloat(), ctr[1].AsFloat()]);
        var age = features.Candidates.Column(features.Candidates.IndexOf("pin_age_bucket"));
        Assert.Equal([2L, 0L], [age[0].AsInt64(), age[1].AsInt64()]);
        Assert.False(features.Context[0, features.Context.IndexOf("device")].HasValue);
    }

    [Fact]
    public async Task Load_NeededFeatures_FetchesOnlyThoseOneReadPerEntityKind()
    {
        var loader = new RequestFeatureLoader(Preprocessed(_store), Preprocessor);

        var features = await loader.LoadAsync(new RequestFeatureQuery("u1", ["p1", "p2", "p3"], Plan(FeatureProjection.Of("pin_ctr", "user_emb"))), Ct);

        Assert.Equal(2, _store.Reads.Count);
        Assert.Contains(_store.Reads, r => r.Kind == EntityKind.User && r.Features.SequenceEqual(["user_emb"]));
        Assert.Contains(_store.Reads, r => r.Kind == EntityKind.Candidate && r.Features.SequenceEqual(["pin_ctr"]) && r.Ids.Length == 3);
        Assert.Equal(["pin_ctr"], features.Candidates.Names);
        Assert.Equal(3, features.Candidates.RowCount);
    }

    [Fact]
    public async Task Load_TwoRequestsOnOnePlan_ShareTheFramesNamesAndIndex()
    {
        var loader = new RequestFeatureLoader(Preprocessed(_store), Preprocessor);
        var plan = Plan(FeatureProjection.Of("pin_ctr", "user_emb", "device"));

        var first = await loader.LoadAsync(new RequestFeatureQuery("u1", ["p1", "p2"], plan), Ct);
        var second = await loader.LoadAsync(new RequestFeatureQuery("u1", ["p3"], plan), Ct);

        Assert.Same(first.Candidates.Names, second.Candidates.Names);
        Assert.Same(first.User.Names, second.User.Names);
        Assert.Equal(0, second.Candidates.IndexOf("pin_ctr"));
        Assert.Equal(0, second.User.IndexOf("user_emb"));
        Assert.Equal(0, second.Context.IndexOf("device"));
        Assert.Equal(-1, second.Candidates.IndexOf("user_emb"));
        Assert.Equal(1, second.Candidates.RowCount);
    }

    [Fact]
    public async Task Load_ClientFeatures_WinOverStoredAndArePreprocessed()
    {
        var loader = new RequestFeatureLoader(Preprocessed(_store), Preprocessor);
        var overrides = new Candidate { Id = "p1" };
        overrides.Features["pin_ctr"] = new FeatureValue { FloatValue = -3f };
        overrides.Features["pin_age_bucket"] = new FeatureValue { FloatValue = 40 };
        var context = new ScoreRequest();
        context.Context["device"] = new FeatureValue { StringValue = "ios" };

        var features = await loader.LoadAsync(
            new RequestFeatureQuery("u1", ["p1", "p2"], Plan(FeatureProjection.All), [overrides.Features, null], context.Context), Ct);

        Assert.Equal(0f, features.Candidates[0, features.Candidates.IndexOf("pin_ctr")].AsFloat());
        Assert.Equal(3, features.Candidates[0, features.Candidates.IndexOf("pin_age_bucket")].AsInt64());
        Assert.Equal(0.2f, features.Candidates[1, features.Candidates.IndexOf("pin_ctr")].AsFloat());
        Assert.Equal((long)(StableHash.Fnv1a64("ios") % 64), features.Context[0, 0].AsInt64());
    }

    [Fact]
    public async Task Load_ClientFeatureOfTheWrongType_IsAFeatureValueError()
    {
        var loader = new RequestFeatureLoader(Preprocessed(_store), Preprocessor);
        var candidate = new Candidate { Id = "p2" };
        candidate.Features["pin_ctr"] = new FeatureValue { StringValue = "high" };

        var error = await Assert.ThrowsAsync<FeatureValueException>(() =>
            loader.LoadAsync(new RequestFeatureQuery("u1", ["p1", "p2"], Plan(FeatureProjection.All), [null, candidate.Features]), Ct));

        Assert.Contains("candidate 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("pin_ctr", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pin_ctr", float.NaN)]
    [InlineData("pin_ctr", float.PositiveInfinity)]
    [InlineData("pin_age_bucket", float.NegativeInfinity)]
    public async Task Load_ClientNonFiniteFloat_IsAFeatureValueErrorNamingTheFeature(string feature, float sent)
    {
        var loader = new RequestFeatureLoader(Preprocessed(_store), Preprocessor);
        var candidate = new Candidate { Id = "p2" };
        candidate.Features[feature] = new FeatureValue { FloatValue = sent };

        var error = await Assert.ThrowsAsync<FeatureValueException>(() =>
            loader.LoadAsync(new RequestFeatureQuery("u1", ["p1", "p2"], Plan(FeatureProjection.All), [null, candidate.Features]), Ct));

        Assert.Contains("candidate 1", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{feature}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ClientFloatVectorWithAnInfinity_IsAFeatureValueError()
    {
        var loader = new RequestFeatureLoader(Preprocessed(_store), Preprocessor);
        var candidate = new Candidate { Id = "p1" };
        candidate.Features["user_emb"] = new FeatureValue { FloatVector = new FloatVector { Values = { 1f, float.NegativeInfinity } } };

        var error = await Assert.ThrowsAsync<FeatureValueException>(() =>
            loader.LoadAsync(new RequestFeatureQuery("u1", ["p1"], Plan(FeatureProjection.All), [candidate.Features]), Ct));

        Assert.Contains("'user_emb'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_StoredValueOfTheWrongType_IsTreatedAsAbsentAndCounted()
    {
        _store.Set(EntityKind.Candidate, "p2", "pin_age_bucket", TypedValue.FromString("old data"));
        var source = Preprocessed(_store);
        var loader = new RequestFeatureLoader(source, Preprocessor);

        var features = await loader.LoadAsync(new RequestFeatureQuery("u1", ["p2"], Plan(FeatureProjection.Of("pin_age_bucket"))), Ct);

        Assert.Equal(1, source.StoredTypeMismatches);
        Assert.Equal(0, features.Candidates[0, 0].AsInt64());
    }

    [Fact]
    public async Task Load_FromImportedSqliteStoreThroughTheCache_MatchesTheFile()
    {
        using var directory = new TempDirectory();
        await using var store = new SqliteFeatureStore(directory.Combine("f.db"));
        await store.InitializeAsync(Ct);
        const string Jsonl = """
            {"entity":"user","id":"u9","features":{"user_age_days":99,"user_emb":[0.5,0.25]}}
            {"entity":"candidate","id":"p7","features":{"pin_ctr":0.5,"pin_age_bucket":3.5}}
            """;
        await JsonlFeatureImporter.ImportAsync(store, new MemoryStream(Encoding.UTF8.GetBytes(Jsonl)), "f.jsonl", Preprocessor, 100, Ct);
        using var metrics = new FeatureCacheMetrics();
        var cache = new FeatureCache(new PreprocessedFeatureSource(store, Preprocessor), new FeatureCacheOptions(), TimeProvider.System, metrics);
        var loader = new RequestFeatureLoader(cache, Preprocessor);

        var first = await loader.LoadAsync(new RequestFeatureQuery("u9", ["p7", "unknown"], Plan(FeatureProjection.All)), Ct);
        var second = await loader.LoadAsync(new RequestFeatureQuery("u9", ["p7", "unknown"], Plan(FeatureProjection.All)), Ct);

        Assert.Equal((float)NumericFunctions.Log1p(99), first.User[0, first.User.IndexOf("user_age_days")].AsFloat());
        Assert.Equal(1, first.Candidates[0, first.Candidates.IndexOf("pin_age_bucket")].AsInt64());
        Assert.Equal(0, first.Candidates[1, first.Candidates.IndexOf("pin_age_bucket")].AsInt64());
        for (var c = 0; c < first.Candidates.Names.Count; c++)
        {
            Assert.True(first.Candidates.Column(c).SequenceEqual(second.Candidates.Column(c)));
        }
    }
}
