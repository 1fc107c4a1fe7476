using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Diagnostics;
using Arbor.Root.Preprocessing;
using Arbor.Root.Tests.Cache;
using Arbor.Root.Tests.Diagnostics;
using Arbor.Signatures.Registry;

namespace Arbor.Root.Tests.Preprocessing;

/// <summary>
/// What the root does with each kind of client value it cannot use as sent, under each action of the
/// registry's input policy, and what it counts.
/// </summary>
public sealed class ClientFeaturesTests : IDisposable
{
    private static readonly InputPolicy AllDefault = new(ClientValueAction.Default, ClientValueAction.Default, ClientValueAction.Default, UnknownFeatureAction.Reject);

    private readonly TestMeterFactory _meters = new();
    private readonly RootMetrics _metrics;
    private readonly LabelledCounterRecorder _values;

    public ClientFeaturesTests()
    {
        _metrics = new RootMetrics(_meters);
        _values = new LabelledCounterRecorder(_meters, RootMetrics.MeterName, "arbor.root.client_values");
    }

    public void Dispose()
    {
        _values.Dispose();
        _metrics.Dispose();
        _meters.Dispose();
    }

    public static TheoryData<string> Cases() =>
    [
        "nan", "infinity", "vector_infinity", "int64_for_float", "float_for_int64", "list_for_scalar", "scalar_for_list",
        "int64_for_bucketize", "wrong_dim", "no_kind",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reject_ValueItCannotUse_RefusesNamingTheCandidateAndTheFeature_AndCountsIt(string name)
    {
        var (feature, value, outcome, message) = Case(name);
        var preprocessor = Preprocessor(policy: null);

        var error = Assert.Throws<FeatureValueException>(() => Validate(preprocessor, Good(), Row(feature, value)));

        Assert.Contains($"candidate 1: feature '{feature}' {message}", error.Message, StringComparison.Ordinal);
        // Only the refused value is counted: the values of a refused request were not used.
        Assert.Equal(new Dictionary<string, long> { [$"feature={feature},outcome=rejected_{outcome}"] = 1 }, _values.All);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Default_ValueItCannotUse_BecomesTheFeaturesRegistryDefault_AndIsCounted(string name)
    {
        var (feature, value, outcome, _) = Case(name);
        var preprocessor = Preprocessor(AllDefault);

        var client = Validate(preprocessor, Good(), Row(feature, value));

        var column = client.CandidateColumn(feature)!;
        Assert.True(column.IsSent(1));
        Assert.Equal(RegistryDefault(feature), column[1]);
        Assert.Equal(0.25f, client.CandidateColumn("ctr")![0].AsFloat());
        Assert.Equal(1, _values[$"feature={feature},outcome=defaulted_{outcome}"]);
        Assert.Equal(1, _values["feature=ctr,outcome=accepted"]);
    }

    [Fact]
    public void Reject_RowStandingForAnotherEntry_NamesTheClientsEntry()
    {
        var preprocessor = Preprocessor(policy: null);
        IReadOnlyDictionary<string, FeatureValue>?[] rows = [Good(), Row("ctr", new FeatureValue { FloatValue = float.NaN })];

        var error = Assert.Throws<FeatureValueException>(() =>
            ClientFeatures.Validate(FetchPlan.Create(FeatureProjection.All, preprocessor), preprocessor, rows, null, _metrics, entries: [0, 4]));

        Assert.Contains("candidate 4: feature 'ctr'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FeatureOverride_DecidesForThatFeatureOnly()
    {
        var preprocessor = Preprocessor(policy: null, ctr: new FeatureInputPolicy(NonFinite: ClientValueAction.Default));

        var client = Validate(preprocessor, Row("ctr", new FeatureValue { FloatValue = float.NaN }));
        var error = Assert.Throws<FeatureValueException>(() => Validate(preprocessor, Row("score", new FeatureValue { FloatValue = float.NaN })));

        Assert.Equal(0.5f, client.CandidateColumn("ctr")![0].AsFloat());
        Assert.Contains("candidate 0: feature 'score' is not a finite number", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _values["feature=ctr,outcome=defaulted_non_finite"]);
        Assert.Equal(1, _values["feature=score,outcome=rejected_non_finite"]);
    }

    [Fact]
    public void Context_ValueItCannotUse_IsRefusedNamingTheContext_OrDefaulted()
    {
        var context = new ScoreRequest();
        context.Context["hour"] = new FeatureValue { Int64Value = 13 };

        var error = Assert.Throws<FeatureValueException>(() => ValidateContext(Preprocessor(policy: null), context.Context));
        var client = ValidateContext(Preprocessor(AllDefault), context.Context);

        Assert.Contains("context: feature 'hour' takes type float, not int64", error.Message, StringComparison.Ordinal);
        Assert.Equal(12f, client.Context[HourIndex]![0].AsFloat());
        Assert.Equal(1, _values["feature=hour,outcome=rejected_out_of_type"]);
        Assert.Equal(1, _values["feature=hour,outcome=defaulted_out_of_type"]);
    }

    [Fact]
    public void UnknownName_ByDefault_IsDroppedAndCountedUnderOneLabel_TheRestIsUsed()
    {
        var candidate = Row("ctr", new FeatureValue { FloatValue = 0.75f });
        candidate["retired_feature"] = new FeatureValue { FloatValue = float.NaN };
        var context = new ScoreRequest();
        context.Context["hour"] = new FeatureValue { FloatValue = 3 };
        context.Context["ctx_gone"] = new FeatureValue { StringValue = "x" };

        var client = Validate(Preprocessor(policy: null), [candidate], context.Context);

        Assert.Equal(["ctr"], client.CandidateColumns.Select(c => c.Name));
        Assert.Equal(0.75f, client.CandidateColumn("ctr")![0].AsFloat());
        Assert.Equal(3f, client.Context[HourIndex]![0].AsFloat());
        Assert.Equal(
            new Dictionary<string, long>
            {
                ["feature=(unknown),outcome=dropped_unknown"] = 2,
                ["feature=ctr,outcome=accepted"] = 1,
                ["feature=hour,outcome=accepted"] = 1,
            },
            _values.All);
    }

    [Fact]
    public void UnknownName_UnderReject_RefusesQuotingTheNameCut()
    {
        var longName = "retired_" + new string('x', 500);
        var candidate = Row("ctr", new FeatureValue { FloatValue = 0.75f });
        candidate[longName] = new FeatureValue { FloatValue = 1 };

        var error = Assert.Throws<FeatureValueException>(() => Validate(Preprocessor(AllDefault), Good(), candidate));

        Assert.Contains("candidate 1: feature 'retired_xxx", error.Message, StringComparison.Ordinal);
        Assert.Contains("is not in the feature registry", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 200, error.Message);
        Assert.Equal(1, _values["feature=(unknown),outcome=rejected_unknown"]);
    }

    [Fact]
    public void GoodValues_AreTransformedAndCountedAsAccepted()
    {
        var first = Row("ctr", new FeatureValue { FloatValue = 0.25f });
        first["age_bucket"] = new FeatureValue { FloatValue = 10 };
        var second = Row("ctr", new FeatureValue { FloatValue = 0.5f });
        var context = new ScoreRequest();
        context.Context["device"] = new FeatureValue { StringValue = "ios" };

        var client = Validate(Preprocessor(policy: null), [first, second], context.Context);

        Assert.Equal(2, client.CandidateColumn("age_bucket")![0].AsInt64());
        Assert.Equal((long)(StableHash.Fnv1a64("ios") % 64), client.Context[DeviceIndex]![0].AsInt64());
        Assert.Equal(
            new Dictionary<string, long>
            {
                ["feature=ctr,outcome=accepted"] = 2,
                ["feature=age_bucket,outcome=accepted"] = 1,
                ["feature=device,outcome=accepted"] = 1,
            },
            _values.All);
    }

    [Fact]
    public void Policy_DefaultedAndDroppedValues_AllocateNothingPerValue()
    {
        var preprocessor = Preprocessor(AllDefault with { UnknownFeature = UnknownFeatureAction.Drop });
        var plan = FetchPlan.Create(FeatureProjection.All, preprocessor);
        var good = Candidates(500, bad: false);
        var bad = Candidates(500, bad: true);
        // The least of several runs: a one-off allocation on this thread (a lazily built cache, a type
        // load, a listener of another test's meter) is not a per-value one, and does not repeat.
        var goodBytes = long.MaxValue;
        var badBytes = long.MaxValue;
        for (var run = 0; run < 5; run++)
        {
            goodBytes = Math.Min(goodBytes, Measure(good));
            badBytes = Math.Min(badBytes, Measure(bad));
        }

        // 2,500 values replaced or dropped: the policy is read from the compiled pipelines, no object per value.
        Assert.True(badBytes - goodBytes < 1024, $"{badBytes} bytes with bad values, {goodBytes} with good ones");

        long Measure(IReadOnlyDictionary<string, FeatureValue>?[] candidates)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var client = ClientFeatures.Validate(plan, preprocessor, candidates, null);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(3, client.CandidateColumns.Count);
            return allocated;
        }
    }

    private const int HourIndex = 0;
    private const int DeviceIndex = 1;

    private static (string Feature, FeatureValue Value, string Outcome, string Message) Case(string name) => name switch
    {
        "nan" => ("ctr", new FeatureValue { FloatValue = float.NaN }, "non_finite", "is not a finite number"),
        "infinity" => ("score", new FeatureValue { FloatValue = float.PositiveInfinity }, "non_finite", "is not a finite number"),
        "vector_infinity" => ("emb", new FeatureValue { FloatVector = new FloatVector { Values = { 1f, float.NegativeInfinity } } }, "non_finite", "is not a finite number"),
        "int64_for_float" => ("ctr", new FeatureValue { Int64Value = 3 }, "out_of_type", "takes type float, not int64"),
        "float_for_int64" => ("count", new FeatureValue { FloatValue = 3 }, "out_of_type", "takes type int64, not float"),
        "list_for_scalar" => ("score", new FeatureValue { FloatVector = new FloatVector { Values = { 1f } } }, "out_of_type", "takes type float, not float_vector"),
        "scalar_for_list" => ("ids", new FeatureValue { Int64Value = 5 }, "out_of_type", "takes type int64_list, not int64"),
        "int64_for_bucketize" => ("age_bucket", new FeatureValue { Int64Value = 40 }, "out_of_type", "takes type float, not int64"),
        "wrong_dim" => ("emb", new FeatureValue { FloatVector = new FloatVector { Values = { 1f, 2f, 3f } } }, "out_of_type", "is a float vector of 2 values, not 3"),
        "no_kind" => ("count", new FeatureValue(), "no_kind", "has no value"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>What each feature gets for no value, from its registry entry below.</summary>
    private static TypedValue RegistryDefault(string feature) => feature switch
    {
        "ctr" => TypedValue.FromFloat(0.5f),
        "count" => TypedValue.FromInt64(-1),
        "age_bucket" => TypedValue.FromInt64(0),
        _ => TypedValue.None,
    };

    private static FeaturePreprocessor Preprocessor(InputPolicy? policy, FeatureInputPolicy? ctr = null) => new(new FeatureRegistry(FeatureRegistry.SchemaV1,
    [
        new("ctr", FeatureType.Float, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: 0.5)], InputPolicy: ctr),
        new("score", FeatureType.Float, FeatureEntity.Candidate),
        new("count", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: -1)]),
        new("ids", FeatureType.Int64List, FeatureEntity.Candidate),
        new("emb", FeatureType.FloatVector, FeatureEntity.Candidate, Dim: 2),
        new("age_bucket", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: -1), new(TransformKind.Bucketize, Boundaries: [0, 7, 30])]),
        new("hour", FeatureType.Float, FeatureEntity.Context, Transforms: [new(TransformKind.DefaultFill, Fill: 12)]),
        new("device", FeatureType.Int64, FeatureEntity.Context, Transforms: [new(TransformKind.HashToId, Buckets: 64)]),
    ], policy));

    /// <summary>Candidates with three values each; bad ones are out of type, non-finite and kindless, plus two unknown names.</summary>
    private static IReadOnlyDictionary<string, FeatureValue>?[] Candidates(int count, bool bad)
    {
        var candidates = new IReadOnlyDictionary<string, FeatureValue>?[count];
        for (var i = 0; i < count; i++)
        {
            var candidate = new Candidate { Id = $"c{i}" };
            candidate.Features["ctr"] = new FeatureValue { FloatValue = bad ? float.NaN : 0.25f };
            candidate.Features["count"] = bad ? new FeatureValue { FloatValue = 3 } : new FeatureValue { Int64Value = 3 };
            candidate.Features["score"] = bad ? new FeatureValue() : new FeatureValue { FloatValue = 1 };
            if (bad)
            {
                candidate.Features["retired_a"] = new FeatureValue { FloatValue = 1 };
                candidate.Features["retired_b"] = new FeatureValue { StringValue = "x" };
            }

            candidates[i] = candidate.Features;
        }

        return candidates;
    }

    /// <summary>A candidate's features with one good value.</summary>
    private static Google.Protobuf.Collections.MapField<string, FeatureValue> Good() => Row("ctr", new FeatureValue { FloatValue = 0.25f });

    private static Google.Protobuf.Collections.MapField<string, FeatureValue> Row(string feature, FeatureValue value)
    {
        var candidate = new Candidate { Id = "c" };
        candidate.Features[feature] = value;
        return candidate.Features;
    }

    private ClientFeatures Validate(FeaturePreprocessor preprocessor, params IReadOnlyDictionary<string, FeatureValue>?[] candidates) =>
        ClientFeatures.Validate(FetchPlan.Create(FeatureProjection.All, preprocessor), preprocessor, candidates, null, _metrics);

    private ClientFeatures Validate(FeaturePreprocessor preprocessor, IReadOnlyDictionary<string, FeatureValue>?[] candidates, IReadOnlyDictionary<string, FeatureValue> context) =>
        ClientFeatures.Validate(FetchPlan.Create(FeatureProjection.All, preprocessor), preprocessor, candidates, context, _metrics);

    private ClientFeatures ValidateContext(FeaturePreprocessor preprocessor, IReadOnlyDictionary<string, FeatureValue> context) =>
        ClientFeatures.Validate(FetchPlan.Create(FeatureProjection.All, preprocessor), preprocessor, null, context, _metrics);
}
