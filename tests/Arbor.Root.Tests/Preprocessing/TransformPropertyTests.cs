using Arbor.Features.Values;
using Arbor.Root.Preprocessing;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Arbor.Root.Tests.Preprocessing;

public sealed class TransformPropertyTests
{
    [Fact]
    public void Clip_AnyFloat_LandsWithinTheFloatBoundsAndKeepsValuesInside()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<float>(),
            ArbMap.Default.ArbFor<NormalFloat>(),
            ArbMap.Default.ArbFor<NormalFloat>(),
            (x, a, b) =>
            {
                var (lo, hi) = a.Get <= b.Get ? (a.Get, b.Get) : (b.Get, a.Get);
                var clipped = new ClipTransform(lo, hi).Apply(TypedValue.FromFloat(x)).AsFloat();
                if (float.IsNaN(x))
                {
                    return float.IsNaN(clipped);
                }

                var inBounds = clipped >= (float)lo && clipped <= (float)hi;
                var unchangedInside = x < (float)lo || x > (float)hi || clipped.Equals(x);
                return inBounds && unchangedInside;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Clip_AnyInt64_LandsWithinTheTruncatedBounds()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<long>(),
            ArbMap.Default.ArbFor<int>(),
            ArbMap.Default.ArbFor<int>(),
            (x, a, b) =>
            {
                var (lo, hi) = a <= b ? (a, b) : (b, a);
                var clipped = new ClipTransform(lo + 0.25, hi + 0.75).Apply(TypedValue.FromInt64(x)).AsInt64();
                var (tlo, thi) = ((long)Math.Truncate(lo + 0.25), (long)Math.Truncate(hi + 0.75));
                return clipped >= tlo && clipped <= thi && (x < tlo || x > thi || clipped == x);
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Clip_Int64BelowAFractionalMin_TruncatesLikeTheReference()
    {
        // The reference computes int(max(5, 7.5)) = 7.
        Assert.Equal(7, new ClipTransform(7.5, null).Apply(TypedValue.FromInt64(5)).AsInt64());
    }

    [Fact]
    public void Bucketize_IsMonotoneAndWithinRange()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<NormalFloat[]>(),
            ArbMap.Default.ArbFor<NormalFloat>(),
            ArbMap.Default.ArbFor<NormalFloat>(),
            (raw, a, b) =>
            {
                var boundaries = raw.Select(f => f.Get).Append(0.0).Distinct().Order().ToArray();
                var transform = new BucketizeTransform(boundaries);
                var (x, y) = a.Get <= b.Get ? (a.Get, b.Get) : (b.Get, a.Get);
                var bx = transform.Bucket(x);
                var by = transform.Bucket(y);
                return bx <= by && bx >= 0 && by <= boundaries.Length;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Bucketize_BoundaryValue_BelongsToTheBucketAboveIt()
    {
        var transform = new BucketizeTransform([0.0, 10.0, 100.0]);

        // Same answers as the reference's bisect_right for 0.5, 1, 6.99, 7, 400, 2000 on [1, 7, 30, 90, 365, 1095].
        var reference = new BucketizeTransform([1.0, 7.0, 30.0, 90.0, 365.0, 1095.0]);
        Assert.Equal([0L, 1L, 1L, 2L, 5L, 6L], new[] { 0.5f, 1f, 6.99f, 7f, 400f, 2000f }.Select(v => reference.Apply(TypedValue.FromFloat(v)).AsInt64()));
        Assert.Equal(0, transform.Apply(TypedValue.FromFloat(-5f)).AsInt64());
        Assert.Equal(1, transform.Apply(TypedValue.FromFloat(0f)).AsInt64());
        Assert.Equal(1, transform.Apply(TypedValue.FromFloat(9.99f)).AsInt64());
        Assert.Equal(2, transform.Apply(TypedValue.FromInt64(10)).AsInt64());
        Assert.Equal(3, transform.Apply(TypedValue.FromFloat(1e30f)).AsInt64());
        Assert.Equal(0, transform.Apply(TypedValue.FromFloat(float.NaN)).AsInt64());
    }

    [Fact]
    public void Bucketize_UnsortedBoundaries_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new BucketizeTransform([1.0, 1.0]));
    }

    [Fact]
    public void HashToId_AnyString_GivesAnIdWithinBucketsStableAcrossCalls()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<NonNull<string>>(),
            ArbMap.Default.ArbFor<PositiveInt>(),
            (s, n) =>
            {
                var transform = new HashToIdTransform(n.Get);
                var id = transform.Apply(TypedValue.FromString(s.Get)).AsInt64();
                return id >= 0 && id < n.Get && id == new HashToIdTransform(n.Get).Apply(TypedValue.FromString(s.Get)).AsInt64();
            }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("", 0xcbf29ce484222325UL)]
    [InlineData("a", 0xaf63dc4c8601ec8cUL)]
    [InlineData("foobar", 0x85944171f73967e8UL)]
    public void StableHash_MatchesTheFnv1a64ReferenceVectors(string text, ulong expected)
    {
        Assert.Equal(expected, StableHash.Fnv1a64(text));
    }

    [Fact]
    public void HashToId_Int64List_HashesEachElementLikeAnInt64()
    {
        var transform = new HashToIdTransform(1000);

        var list = transform.Apply(TypedValue.FromInt64List([5, 6])).AsInt64List().ToArray();

        Assert.Equal([transform.Apply(TypedValue.FromInt64(5)).AsInt64(), transform.Apply(TypedValue.FromInt64(6)).AsInt64()], list);
        Assert.Equal((long)(StableHash.Fnv1a64(5L) % 1000), list[0]);
    }

    [Theory]
    [InlineData(0.0f, 0x0u)]
    [InlineData(1e-10f, 0x2edbe700u)]
    [InlineData(0.1f, 0x3dc331fcu)]
    [InlineData(812.5f, 0x40d6716du)]
    [InlineData(5000f, 0x41033e7du)]
    [InlineData(-3f, 0x0u)]
    [InlineData(1e-7f, 0x33d6bf94u)]
    public void ClipThenLog1p_MatchesTheReferenceBitForBit(float raw, uint expectedBits)
    {
        // Expected bits from models/arbor_models/transforms.py (clip 0..3650, log1p, float32).
        var pipeline = FeaturePipeline.Compile(new Arbor.Signatures.Registry.FeatureDefinition(
            "age", Arbor.Features.Values.FeatureType.Float, Arbor.Signatures.Registry.FeatureEntity.User,
            Transforms: [new(Arbor.Signatures.Registry.TransformKind.Clip, Min: 0, Max: 3650), new(Arbor.Signatures.Registry.TransformKind.Log1p)]));

        Assert.Equal(expectedBits, BitConverter.SingleToUInt32Bits(pipeline.Apply(TypedValue.FromFloat(raw)).AsFloat()));
    }

    [Theory]
    [InlineData("FR", 329)]
    [InlineData("ios", 406)]
    [InlineData("cozy kitchen", 518)]
    public void HashToId_MatchesTheReference(string text, long expected)
    {
        Assert.Equal(expected, new HashToIdTransform(1000).Apply(TypedValue.FromString(text)).AsInt64());
    }

    [Fact]
    public void Log1p_IsMonotoneOnNonNegativeNumbers()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<NormalFloat>(),
            ArbMap.Default.ArbFor<NormalFloat>(),
            (a, b) =>
            {
                var (x, y) = (Math.Abs(a.Get), Math.Abs(b.Get));
                (x, y) = x <= y ? (x, y) : (y, x);
                return NumericFunctions.Log1p(x) <= NumericFunctions.Log1p(y);
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Clip_FloatVector_LeavesTheSourceArrayUntouched()
    {
        float[] source = [-5f, 0.5f, 5f];
        var value = TypedValue.FromFloatVector(source);

        var clipped = new ClipTransform(0, 1).Apply(value);

        Assert.Equal([0f, 0.5f, 1f], clipped.AsFloatVector().ToArray());
        Assert.Equal([-5f, 0.5f, 5f], source);
    }

    [Fact]
    public void DefaultFill_FillsOnlyAbsentValues()
    {
        var fill = new DefaultFillTransform(TypedValue.FromFloat(7f));

        Assert.Equal(7f, fill.Apply(TypedValue.None).AsFloat());
        Assert.Equal(2f, fill.Apply(TypedValue.FromFloat(2f)).AsFloat());
    }
}
