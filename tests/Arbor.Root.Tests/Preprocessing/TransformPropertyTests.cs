using Arbor.Root.Preprocessing;
using Arbor.Root.Store;
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
    public void Clip_AnyInt64_LandsWithinTheIntegerBounds()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<long>(),
            ArbMap.Default.ArbFor<int>(),
            ArbMap.Default.ArbFor<int>(),
            (x, a, b) =>
            {
                var (lo, hi) = a <= b ? (a, b) : (b, a);
                var clipped = new ClipTransform(lo - 0.5, hi + 0.5).Apply(TypedValue.FromInt64(x)).AsInt64();
                return clipped >= lo && clipped <= hi && (x < lo || x > hi || clipped == x);
            }).QuickCheckThrowOnFailure();
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

    [Fact]
    public void Log1p_SmallValues_KeepFullPrecision()
    {
        // ln(1 + x) = x - x²/2 + x³/3 - ...; for x = 1e-10 the series gives the exact double.
        const double x = 1e-10;
        var expected = x - (x * x / 2) + (x * x * x / 3);

        Assert.Equal(expected, NumericFunctions.Log1p(x), 1e-25);
        Assert.Equal(Math.Log(2), NumericFunctions.Log1p(1), 1e-15);
        Assert.True(double.IsNaN(NumericFunctions.Log1p(-2)));
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
