using Arbor.Contracts.V1;
using Arbor.Features.Batches;
using Arbor.Features.Selection;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Batching;
using Arbor.Root.Cache;
using Arbor.Root.Preprocessing;
using Arbor.Root.Scoring;
using Arbor.Root.Tests.Cache;
using Arbor.Signatures.Registry;
using Xunit;

namespace Arbor.Root.Tests.Batching;

/// <summary>
/// The batch a request gets, with stored values preprocessed once at cache fill, holds bitwise the
/// values the registry's pipelines give for the raw stored and client values, request after request.
/// </summary>
public sealed class RequestBatchAssemblerTests : IDisposable
{
    private static readonly FeaturePreprocessor Preprocessor = new(new FeatureRegistry(FeatureRegistry.SchemaV1,
    [
        new("u_age", FeatureType.Float, FeatureEntity.User, Transforms: [new(TransformKind.DefaultFill, Fill: 30), new(TransformKind.Log1p)]),
        new("u_emb", FeatureType.FloatVector, FeatureEntity.User, Dim: 2),
        new("c_ctr", FeatureType.Float, FeatureEntity.Candidate, Transforms: [new(TransformKind.Clip, Min: 0, Max: 1)]),
        new("c_age", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: -1), new(TransformKind.Bucketize, Boundaries: [0, 7, 30])]),
        new("c_tags", FeatureType.Int64List, FeatureEntity.Candidate, Transforms: [new(TransformKind.HashToId, Buckets: 97)]),
        new("c_emb", FeatureType.FloatVector, FeatureEntity.Candidate, Dim: 3, Transforms: [new(TransformKind.Log1p)]),
        new("ctx_device", FeatureType.Int64, FeatureEntity.Context, Transforms: [new(TransformKind.HashToId, Buckets: 64)]),
    ]));

    private readonly FakeFeatureSource _store = new();
    private readonly FeatureCacheMetrics _metrics = new();
    private readonly Dictionary<(EntityKind, string, string), TypedValue> _raw = [];

    public RequestBatchAssemblerTests()
    {
        var random = new Random(11);
        Set(EntityKind.User, "u1", "u_emb", TypedValue.FromFloatVector([0.5f, -2f]));
        Set(EntityKind.User, "u1", "u_age", TypedValue.FromFloat(12.25f));
        for (var i = 0; i < 40; i++)
        {
            var id = $"c{i}";
            if (i % 5 != 0)
            {
                Set(EntityKind.Candidate, id, "c_ctr", TypedValue.FromFloat((random.NextSingle() * 3) - 1));
            }

            if (i % 3 != 0)
            {
                Set(EntityKind.Candidate, id, "c_age", TypedValue.FromFloat(random.Next(60)));
            }

            if (i % 4 != 0)
            {
                Set(EntityKind.Candidate, id, "c_tags", TypedValue.FromInt64List([.. Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.NextInt64(1_000_000))]));
            }

            Set(EntityKind.Candidate, id, "c_emb", TypedValue.FromFloatVector([random.NextSingle(), random.NextSingle() * 10, 0f]));
        }

        // Data older than the registry: served as absent (then default-filled where the registry fills).
        Set(EntityKind.Candidate, "c7", "c_age", TypedValue.FromString("stale"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task Assemble_ThroughTheCache_HoldsThePipelinesValuesOfRawAndClientValues()
    {
        var cache = new FeatureCache(new PreprocessedFeatureSource(_store, Preprocessor), new FeatureCacheOptions(), TimeProvider.System, _metrics);
        var assembler = new RequestBatchAssembler(new RequestFeatureLoader(cache, Preprocessor));
        var planner = new FetchPlanner(Preprocessor);
        var snapshot = new object();
        var allowlists = new[] { new ColumnAllowlist(["c_ctr", "c_age", "u_age", "ctx_device"]), new ColumnAllowlist(["c_tags", "c_emb", "u_emb", "c_ctr"]) };
        var decisions = allowlists.Select((a, i) => new TrimDecision($"m{i}", TrimOutcome.Exact, "1", a)).ToArray();

        for (var pass = 0; pass < 2; pass++)
        {
            // The second request sends other client values: columns the first one's batch left
            // behind for reuse must hold none of its values or missing rows.
            var request = Request(pass);
            var plan = planner.PlanFor(snapshot, decisions);
            using var batch = await assembler.AssembleAsync(ScoreQuery.From(request), plan, Ct);

            foreach (var column in batch.Columns)
            {
                for (var row = 0; row < batch.RowCount; row++)
                {
                    Assert.Equal(Expected(request, row, column.Name), Actual(column, row));
                }
            }

            foreach (var column in batch.SharedColumns)
            {
                Assert.Equal(Expected(request, -1, column.Name), Actual(column, 0));
            }

            // c_new is not in the registry: the default input policy drops it.
            Assert.Equal(["c_age", "c_ctr", "c_emb", "c_tags"], batch.Columns.Select(c => c.Name).Order(StringComparer.Ordinal));
            Assert.Equal(["ctx_device", "u_age", "u_emb"], batch.SharedColumns.Select(c => c.Name).Order(StringComparer.Ordinal));
        }

        // Each candidate was read from the store once: the second request was served, preprocessed, from the cache.
        Assert.Equal(2, _store.Reads.Count);
    }

    [Fact]
    public void PlanFor_SameAllowlists_OnePlanPerSnapshot()
    {
        var planner = new FetchPlanner(Preprocessor);
        var allowlist = new ColumnAllowlist(["c_ctr", "u_age"]);
        var decisions = new[] { new TrimDecision("m", TrimOutcome.Exact, "1", allowlist) };
        var first = new object();

        var plan = planner.PlanFor(first, decisions);

        Assert.Same(plan, planner.PlanFor(first, decisions));
        Assert.NotSame(plan, planner.PlanFor(new object(), decisions));
        Assert.Equal(["c_ctr"], plan.Candidate.Names);
        Assert.Equal(["u_age"], plan.User.Names);
        Assert.True(planner.PlanFor(first, [decisions[0], TrimDecision.PassThrough("x")]).Needed.IsAll);
    }

    private ScoreRequest Request(int variant = 0)
    {
        var request = new ScoreRequest { UserId = "u1" };
        for (var i = 0; i < 40; i++)
        {
            request.Candidates.Add(new Candidate { Id = i == 39 ? "unknown" : $"c{i}" });
        }

        request.Candidates[2].Features["c_ctr"] = new FeatureValue { FloatValue = 7.5f };
        request.Candidates[3].Features["c_age"] = new FeatureValue { FloatValue = 45 };
        request.Candidates[4].Features["c_new"] = new FeatureValue { FloatValue = 0.25f };
        request.Context["ctx_device"] = new FeatureValue { StringValue = "ios" };
        if (variant == 1)
        {
            request.Candidates[2].Features.Clear();
            request.Candidates[5].Features["c_ctr"] = new FeatureValue { FloatValue = 0.125f };
            request.Candidates[8].Features["c_age"] = new FeatureValue { FloatValue = 3 };
            request.Context["ctx_device"] = new FeatureValue { StringValue = "android" };
        }

        return request;
    }

    private void Set(EntityKind kind, string id, string feature, TypedValue value)
    {
        _store.Set(kind, id, feature, value);
        _raw[(kind, id, feature)] = value;
    }

    /// <summary>The value the registry gives, computed from the raw value the slow way (validate, then every transform).</summary>
    private TypedValue Expected(ScoreRequest request, int row, string feature)
    {
        TypedValue raw;
        if (row >= 0 && request.Candidates[row].Features.TryGetValue(feature, out var sent))
        {
            raw = TypedValue.FromProto(sent);
        }
        else if (feature.StartsWith("ctx_", StringComparison.Ordinal))
        {
            raw = request.Context.TryGetValue(feature, out var context) ? TypedValue.FromProto(context) : default;
        }
        else
        {
            var kind = feature.StartsWith("u_", StringComparison.Ordinal) ? EntityKind.User : EntityKind.Candidate;
            var id = kind == EntityKind.User ? request.UserId : request.Candidates[row].Id;
            raw = _raw.TryGetValue((kind, id, feature), out var stored) ? stored : default;
            if (!Preprocessor.TryGetPipeline(feature, out var pipeline))
            {
                return raw;
            }

            try
            {
                raw = pipeline.ValidateInput(raw);
            }
            catch (FeatureValueException)
            {
                raw = default;
            }

            return pipeline.Apply(raw);
        }

        return Preprocessor.Apply(feature, raw);
    }

    private static TypedValue Actual(BatchColumn column, int row)
    {
        if (column.IsMissing(row))
        {
            return default;
        }

        return column switch
        {
            FloatBatchColumn f => TypedValue.FromFloat(f.Values[row]),
            Int64BatchColumn l => TypedValue.FromInt64(l.Values[row]),
            FloatVectorBatchColumn v => TypedValue.FromFloatVector(v.Row(row).ToArray()),
            Int64ListBatchColumn l => TypedValue.FromInt64List(l.Row(row).ToArray()),
            _ => throw new InvalidOperationException($"unexpected column {column.GetType().Name}"),
        };
    }
}
