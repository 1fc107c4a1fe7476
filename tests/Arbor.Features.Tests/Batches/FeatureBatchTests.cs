using Arbor.Features.Batches;
using Arbor.Features.Tests.Support;
using Arbor.Features.Wire;

namespace Arbor.Features.Tests.Batches;

public sealed class FeatureBatchTests
{
    [Fact]
    public void RentedBuffers_LongerThanTheRows_EncodeExactlyLikeExactArrays()
    {
        float[] floats = [0.5f, -1f, 3f];
        long[] ids = [7, 1L << 40, -2];
        float[] vectors = [1f, 2f, 3f, 4f, 5f, 6f];
        int[] lengths = [2, 0, 1];
        long[] lists = [9, 10, 11];
        byte[] missing = [0b010];
        using var pooled = new FeatureBatch(3);
        var f = Fill(pooled.Rent<float>(3), floats);
        var i = Fill(pooled.Rent<long>(3), ids);
        var v = Fill(pooled.Rent<float>(6), vectors);
        var l = Fill(pooled.Rent<int>(3), lengths);
        var x = Fill(pooled.Rent<long>(3), lists);
        pooled.Add(new FloatBatchColumn("f", f, 3, missing))
            .Add(new Int64BatchColumn("i", i, 3))
            .Add(new FloatVectorBatchColumn("v", 2, v, 3))
            .Add(new Int64ListBatchColumn("l", l, 3, x, 3, missing));
        var exact = new FeatureBatch(3)
            .Add(new FloatBatchColumn("f", floats, missing))
            .Add(new Int64BatchColumn("i", ids))
            .Add(new FloatVectorBatchColumn("v", 2, vectors))
            .Add(new Int64ListBatchColumn("l", lengths, lists, missing));

        EncodedBatches.AssertEncodeAlike(exact, pooled);
    }

    [Fact]
    public void Rent_ManySmallBuffers_CutFromAFewSlabsWithoutOverlap_LargeOnesGetTheirOwn()
    {
        const int Rows = 300;
        const int Columns = 200;
        using var batch = new FeatureBatch(Rows);
        var segments = new List<ArraySegment<float>>();
        for (var c = 0; c < Columns; c++)
        {
            var segment = batch.Rent<float>(Rows);
            Assert.Equal(Rows, segment.Count);
            segment.AsSpan().Fill(c);
            segments.Add(segment);
        }

        // Every buffer kept what was written into it: no two overlap.
        for (var c = 0; c < Columns; c++)
        {
            Assert.All(segments[c], value => Assert.Equal(c, value));
        }

        // 200 × 300 floats is 234 KB: a handful of 64 KB slabs, not 200 arrays.
        var slabs = segments.Select(s => s.Array).Distinct().Count();
        Assert.InRange(slabs, 1, (Columns * Rows * sizeof(float) / (64 * 1024)) + 2);

        var large = batch.Rent<float>(64 * 1024);
        Assert.Equal(0, large.Offset);
        Assert.DoesNotContain(large.Array, segments.Select(s => s.Array));
    }

    [Fact]
    public void CreatedColumns_ReusedByALaterBatch_EncodeOnlyTheLaterValues()
    {
        var pool = new BatchStoragePool(1);
        var first = new FeatureBatch(4, 0, pool);
        var firstMissing = first.Rent<byte>(1);
        firstMissing[0] = 0b0110;
        var firstFloat = first.CreateFloat("f_old", Fill(first.Rent<float>(4), [9f, 9f, 9f, 9f]), 4, firstMissing);
        var firstList = first.CreateInt64List("l_old", Fill(first.Rent<int>(4), [3, 0, 0, 1]), 4, Fill(first.Rent<long>(4), [5L, 6, 7, 8]), 4, firstMissing);
        first.Add(firstFloat)
            .Add(first.CreateInt64("i_old", Fill(first.Rent<long>(4), [1L, 2, 3, 4]), 4, firstMissing))
            .Add(first.CreateFloatVector("v_old", 2, Fill(first.Rent<float>(8), [1f, 1f, 2f, 2f, 3f, 3f, 4f, 4f]), 4, firstMissing))
            .Add(firstList);
        first.Dispose();
        Assert.Empty(first.Columns);

        // Fewer rows, no missing row, other names: nothing of the first batch may show.
        using var second = new FeatureBatch(3, 0, pool);
        var secondMissing = second.Rent<byte>(1);
        secondMissing[0] = 0b100;
        var f = second.CreateFloat("f", Fill(second.Rent<float>(3), [0.5f, -1f, 3f]), 3);
        var l = second.CreateInt64List("l", Fill(second.Rent<int>(3), [2, 0, 0]), 3, Fill(second.Rent<long>(2), [10L, 11]), 2, secondMissing);
        second.Add(f)
            .Add(second.CreateInt64("i", Fill(second.Rent<long>(3), [7L, 1L << 40, -2]), 3))
            .Add(second.CreateFloatVector("v", 3, Fill(second.Rent<float>(9), [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f]), 3))
            .Add(l);
        var exact = new FeatureBatch(3)
            .Add(new FloatBatchColumn("f", [0.5f, -1f, 3f]))
            .Add(new Int64BatchColumn("i", [7L, 1L << 40, -2]))
            .Add(new FloatVectorBatchColumn("v", 3, [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f]))
            .Add(new Int64ListBatchColumn("l", [2, 0, 0], [10L, 11], [0b100]));

        Assert.Same(firstFloat, f);
        Assert.Same(firstList, l);
        Assert.False(f.HasMissing);
        Assert.Equal([10L, 11], l.Row(0).ToArray());
        Assert.True(l.Row(2).IsEmpty);
        EncodedBatches.AssertEncodeAlike(exact, second);
        int[] subset = [2, 0];
        using var fromSecond = FeatureBatchEncoder.EncodeRows(second, subset);
        using var fromExact = FeatureBatchEncoder.EncodeRows(exact, subset);
        EncodedBatches.AssertSameColumns(fromExact, fromSecond);
    }

    [Fact]
    public void ColumnsBuiltAlone_AreNotReusedByALaterBatch()
    {
        var pool = new BatchStoragePool(1);
        var own = new FloatBatchColumn("f", [1f, 2f]);
        new FeatureBatch(2, 0, pool).Add(own).Dispose();

        using var next = new FeatureBatch(2, 0, pool);
        var created = next.CreateFloat("g", Fill(next.Rent<float>(2), [3f, 4f]), 2);

        Assert.NotSame(own, created);
        Assert.Equal("f", own.Name);
        Assert.Equal([1f, 2f], own.Values.ToArray());
    }

    [Fact]
    public void Dispose_Twice_GivesTheStorageBackOnce()
    {
        var pool = new BatchStoragePool(2);
        var batch = new FeatureBatch(1, 0, pool);
        batch.Dispose();
        batch.Dispose();

        using var a = new FeatureBatch(1, 0, pool);
        using var b = new FeatureBatch(1, 0, pool);
        a.Add(new FloatBatchColumn("x", [1f]));

        Assert.Single(a.Columns);
        Assert.Empty(b.Columns);
        Assert.Throws<ObjectDisposedException>(() => batch.Rent<float>(1));
    }

    [Fact]
    public void Add_ColumnWithOtherRowCount_Throws()
    {
        var batch = new FeatureBatch(3);

        Assert.Throws<ArgumentException>(() => batch.Add(new FloatBatchColumn("x", [1f, 2f])));
    }

    [Fact]
    public void Add_NameAlreadyUsedBySharedColumn_Throws()
    {
        var batch = new FeatureBatch(2).AddShared(new FloatBatchColumn("x", [1f]));

        Assert.Throws<ArgumentException>(() => batch.Add(new FloatBatchColumn("x", [1f, 2f])));
    }

    [Fact]
    public void AddShared_ColumnWithSeveralRows_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FeatureBatch(2).AddShared(new FloatBatchColumn("x", [1f, 2f])));
    }

    [Fact]
    public void Int64ListColumn_LengthsNotAddingUpToValues_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Int64ListBatchColumn("ids", [1, 2], [1, 2]));
        Assert.Throws<ArgumentException>(() => new Int64ListBatchColumn("ids", [1, -1], [1]));
    }

    [Fact]
    public void FloatVectorColumn_ValuesNotWholeVectors_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FloatVectorBatchColumn("v", 3, [1f, 2f]));
        Assert.Throws<ArgumentException>(() => new FloatVectorBatchColumn("v", 0, []));
    }

    [Fact]
    public void Column_MissingBitmapOfWrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FloatBatchColumn("x", new float[9], new byte[1]));
    }

    [Fact]
    public void StringColumn_NullValue_Throws()
    {
        Assert.Throws<ArgumentException>(() => new StringBatchColumn("s", ["a", null!]));
    }

    [Fact]
    public void Column_EmptyName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FloatBatchColumn("", [1f]));
    }

    [Fact]
    public void IsMissing_ReflectsTheBitmap()
    {
        var bitmap = MissingBitmap.Create(10);
        MissingBitmap.Set(bitmap, 9);
        var column = new FloatBatchColumn("x", new float[10], bitmap);

        Assert.True(column.IsMissing(9));
        Assert.False(column.IsMissing(8));
        Assert.True(column.HasMissing);
    }

    /// <summary>Copies <paramref name="values"/> to the start of a (pooled, possibly longer) buffer and fills the rest with garbage.</summary>
    private static ArraySegment<T> Fill<T>(ArraySegment<T> buffer, T[] values)
        where T : unmanaged
    {
        values.CopyTo(buffer.AsSpan());
        return buffer;
    }
}
