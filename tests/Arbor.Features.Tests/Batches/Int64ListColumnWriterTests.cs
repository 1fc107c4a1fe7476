using Arbor.Features.Batches;
using Arbor.Features.Tests.Support;

namespace Arbor.Features.Tests.Batches;

public sealed class Int64ListColumnWriterTests
{
    [Fact]
    public void RandomLists_EncodeAsTheSameListsGivenAsInt64s_AndReadBack()
    {
        var random = new Random(20261205);
        for (var round = 0; round < 300; round++)
        {
            var rows = random.Next(0, 40);
            var lists = new long[rows][];
            var missing = MissingBitmap.Create(rows);
            for (var row = 0; row < rows; row++)
            {
                // Lists up to 60 ids of every size, some negative (ten bytes each): longer rows than the
                // writer's first buffer holds make it grow.
                lists[row] = random.Next(4) == 0 ? [] : [.. Enumerable.Range(0, random.Next(0, 61)).Select(_ => Value(random))];
                if (random.Next(6) == 0)
                {
                    // A missing row is written empty (as the root writes it), or keeps a list the
                    // encoder must skip.
                    lists[row] = random.Next(2) == 0 ? [] : lists[row];
                    MissingBitmap.Set(missing, row);
                }
            }

            // Some columns say which rows are missing, others mark none (their empty lists stay rows).
            var marked = random.Next(3) != 0;
            using var asInt64s = new FeatureBatch(rows);
            asInt64s.Add(new Int64ListBatchColumn("ids", [.. lists.Select(l => l.Length)], [.. lists.SelectMany(l => l)], marked ? missing : null));
            using var asVarints = new FeatureBatch(rows);
            var writer = new Int64ListColumnWriter(asVarints);
            foreach (var list in lists)
            {
                if (list.Length == 0 && random.Next(2) == 0)
                {
                    writer.AddEmpty();
                }
                else
                {
                    writer.Add(list);
                }
            }

            var column = writer.Create("ids", marked ? new ArraySegment<byte>(missing) : default);
            asVarints.Add(column);

            EncodedBatches.AssertEncodeAlike(asInt64s, asVarints);
            Assert.Equal(lists.SelectMany(l => l), column.Values.ToArray());
            for (var row = 0; row < rows; row++)
            {
                Assert.Equal(lists[row], column.Row(row).ToArray());
                Assert.Equal(lists[row].Length, column.Lengths[row]);
            }
        }
    }

    [Fact]
    public void VarintOffsets_OutsideTheBytes_AreRefused()
    {
        using var batch = new FeatureBatch(2);
        // Row 0: 5. Row 1: 129, 7.
        byte[] bytes = [0x05, 0x81, 0x01, 0x07];
        var column = batch.CreateInt64ListVarints("ids", new[] { 1, 2 }, 2, bytes, new[] { 0, 1, 4 }, 3, default);
        Assert.Equal([5L, 129, 7], column.Values.ToArray());

        Assert.Throws<ArgumentException>(() => batch.CreateInt64ListVarints("ids", new[] { 1, 2 }, 2, bytes, new[] { 0, 1, 5 }, 3, default));
        Assert.Throws<ArgumentException>(() => batch.CreateInt64ListVarints("ids", new[] { 1, 2 }, 2, bytes, new[] { 1, 1, 4 }, 3, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.CreateInt64ListVarints("ids", new[] { 1, 2 }, 2, bytes, new[] { 0, 1 }, 3, default));
        // A total that is not the lengths'.
        Assert.Throws<ArgumentException>(() => batch.CreateInt64ListVarints("ids", new[] { 1, 2 }, 2, bytes, new[] { 0, 1, 4 }, 4, default));
    }

    [Fact]
    public void AWriter_TakesEachRowOnce_AndMakesTheColumnOnlyWhenAllAreIn()
    {
        using var batch = new FeatureBatch(2);
        var writer = new Int64ListColumnWriter(batch);
        writer.Add([1, 2]);
        Assert.Throws<InvalidOperationException>(() => writer.Create("ids"));
        writer.AddEmpty();
        Assert.Throws<InvalidOperationException>(() => writer.Add([3]));

        var column = writer.Create("ids");

        Assert.Equal([1L, 2], column.Values.ToArray());
        Assert.Equal([2, 0], column.Lengths.ToArray());
        Assert.Throws<InvalidOperationException>(() => default(Int64ListColumnWriter).Create("ids"));
    }

    [Fact]
    public void ASharedColumn_OfOneRow_OnABatchOfMany()
    {
        using var expected = new FeatureBatch(3);
        expected.AddShared(new Int64ListBatchColumn("user_ids", [3], [4, 300, -1]));
        using var actual = new FeatureBatch(3);
        var writer = new Int64ListColumnWriter(actual, rowCount: 1);
        writer.Add([4, 300, -1]);

        actual.AddShared(writer.Create("user_ids"));

        EncodedBatches.AssertEncodeAlike(expected, actual);
        Assert.Throws<InvalidOperationException>(() => writer.AddEmpty());
    }

    [Fact]
    public void AColumnObjectReused_ForgetsTheFormItHad()
    {
        var pool = new BatchStoragePool(1);
        Int64ListBatchColumn first;
        using (var batch = new FeatureBatch(2, 1, pool))
        {
            var writer = new Int64ListColumnWriter(batch);
            writer.Add([5, 6]);
            writer.Add([7]);
            first = writer.Create("a");
            batch.Add(first);
            Assert.Equal([5L, 6, 7], first.Values.ToArray());
        }

        using var second = new FeatureBatch(2, 1, pool);
        var lengths = second.Rent<int>(2);
        lengths.AsSpan().Fill(1);
        var values = second.Rent<long>(2);
        (values[0], values[1]) = (8, 9);

        var reused = second.CreateInt64List("b", lengths, 2, values, 2);

        Assert.Same(first, reused);
        Assert.Equal([8L, 9], reused.Values.ToArray());
        Assert.Equal([9L], reused.Row(1).ToArray());
        second.Add(reused);
        using var expected = new FeatureBatch(2).Add(new Int64ListBatchColumn("b", [1, 1], [8, 9]));
        EncodedBatches.AssertEncodeAlike(expected, second);
    }

    private static long Value(Random random) => random.Next(8) switch
    {
        0 => -random.NextInt64(1, long.MaxValue),
        1 => random.NextInt64(),
        _ => random.NextInt64(0, 1L << random.Next(1, 35)),
    };
}
