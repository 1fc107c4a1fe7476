using Arbor.Features.Values;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Registry;
using Xunit;

namespace Arbor.Root.Tests.Preprocessing;

public sealed class FeaturePipelineTests
{
    [Fact]
    public void Compile_FillThenBucketize_TakesFloatsAndYieldsBucketIds()
    {
        var pipeline = FeaturePipeline.Compile(new FeatureDefinition(
            "age_bucket", FeatureType.Int64, FeatureEntity.User,
            Transforms: [new(TransformKind.DefaultFill, Fill: -1), new(TransformKind.Bucketize, Boundaries: [0, 18, 65])]));

        Assert.Equal(FeatureType.Float, pipeline.InputKind);
        Assert.Equal(0, pipeline.Apply(TypedValue.None).AsInt64());
        Assert.Equal(2, pipeline.Apply(TypedValue.FromFloat(30)).AsInt64());
        Assert.Equal(3, pipeline.Apply(pipeline.ValidateInput(TypedValue.FromInt64(70))).AsInt64());
    }

    [Fact]
    public void Compile_ClipThenLog1p_AppliesInOrder()
    {
        var pipeline = FeaturePipeline.Compile(new FeatureDefinition(
            "count", FeatureType.Float, FeatureEntity.Candidate,
            Transforms: [new(TransformKind.Clip, Min: 0, Max: 100), new(TransformKind.Log1p)]));

        Assert.Equal((float)Math.Log(101), pipeline.Apply(TypedValue.FromFloat(1e6f)).AsFloat());
        Assert.Equal(0f, pipeline.Apply(TypedValue.FromFloat(-3f)).AsFloat());
    }

    [Fact]
    public void Compile_HashToIdOnInt64Feature_TakesStrings()
    {
        var pipeline = FeaturePipeline.Compile(new FeatureDefinition(
            "country", FeatureType.Int64, FeatureEntity.User, Transforms: [new(TransformKind.HashToId, Buckets: 1000)]));

        Assert.Equal(FeatureType.String, pipeline.InputKind);
        Assert.Equal((long)(StableHash.Fnv1a64("FR") % 1000), pipeline.Apply(TypedValue.FromString("FR")).AsInt64());
    }

    [Fact]
    public void Compile_DefaultFillOnVector_FillsEveryElement()
    {
        var pipeline = FeaturePipeline.Compile(new FeatureDefinition(
            "emb", FeatureType.FloatVector, FeatureEntity.User, Dim: 3, Transforms: [new(TransformKind.DefaultFill, Fill: 0.5)]));

        Assert.Equal([0.5f, 0.5f, 0.5f], pipeline.Apply(TypedValue.None).AsFloatVector().ToArray());
    }

    [Fact]
    public void Compile_TransformsThatDoNotYieldTheRegisteredType_AreRejected()
    {
        var error = Assert.Throws<InvalidOperationException>(() => FeaturePipeline.Compile(new FeatureDefinition(
            "x", FeatureType.Float, FeatureEntity.User, Transforms: [new(TransformKind.Bucketize, Boundaries: [1])])));

        Assert.Contains("'x'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_Log1pOnString_IsRejected()
    {
        Assert.Throws<InvalidOperationException>(() => FeaturePipeline.Compile(new FeatureDefinition(
            "s", FeatureType.String, FeatureEntity.User, Transforms: [new(TransformKind.Log1p)])));
    }

    [Fact]
    public void ValidateInput_WrongTypeOrDim_IsAFeatureValueError()
    {
        var scalar = FeaturePipeline.Compile(new FeatureDefinition("f", FeatureType.Float, FeatureEntity.Candidate));
        var vector = FeaturePipeline.Compile(new FeatureDefinition("v", FeatureType.FloatVector, FeatureEntity.Candidate, Dim: 2));

        Assert.Throws<FeatureValueException>(() => scalar.ValidateInput(TypedValue.FromString("1.0")));
        Assert.Throws<FeatureValueException>(() => vector.ValidateInput(TypedValue.FromFloatVector([1f])));
        Assert.Equal(3f, scalar.ValidateInput(TypedValue.FromInt64(3)).AsFloat());
    }
}
