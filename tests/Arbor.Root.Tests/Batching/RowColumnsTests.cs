using Arbor.Features.Batches;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Batching;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Registry;

namespace Arbor.Root.Tests.Batching;

/// <summary>
/// The float, int64, float-vector and int64-list columns built together row by row are the columns
/// built one at a time: the same values, bit for bit, the same missing bits, lengths and dimensions,
/// the same empty columns; and a column view reads what the frame's indexer reads.
/// </summary>
public sealed class RowColumnsTests
{
    private static readonly FeaturePreprocessor Preprocessor = new(new FeatureRegistry(FeatureRegistry.SchemaV1,
    [
        new("f_plain", FeatureType.Float, FeatureEntity.Candidate),
        new("f_filled", FeatureType.Float, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: 0.25)]),
        new("i_plain", FeatureType.Int64, FeatureEntity.Candidate),
        new("i_filled", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: -1)]),
        new("f_empty", FeatureType.Float, FeatureEntity.Candidate),
        new("v_emb", FeatureType.FloatVector, FeatureEntity.Candidate, Dim: 2),
        new("v_wide", FeatureType.FloatVector, FeatureEntity.Candidate, Dim: 5),
        new("l_ids", FeatureType.Int64List, FeatureEntity.Candidate),
        new("l_short", FeatureType.Int64List, FeatureEntity.Candidate),
        new("s_name", FeatureType.String, FeatureEntity.Candidate),
    ]));

    private static readonly string[] Names = ["f_plain", "v_emb", "l_ids", "f_filled", "i_plain", "v_wide", "f_empty", "i_filled", "l_short", "s_name"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryBuild_RandomFrames_BuildsTheColumnsTheOneAtATimeBuilderBuilds(bool packedFloats)
    {
        var random = new Random(20261204);
        for (var round = 0; round < 200; round++)
        {
            var frame = RandomFrame(random, rows: random.Next(0, 70), wrongKind: false, packedFloats);
            using var together = new FeatureBatch(frame.RowCount);
            var built = new BatchColumn?[Names.Length];
            var isBuilt = new bool[Names.Length];

            Assert.True(RowColumns.TryBuild(together, frame, built, isBuilt));

            using var alone = new FeatureBatch(frame.RowCount);
            for (var c = 0; c < Names.Length; c++)
            {
                // The column view reads what the frame's indexer reads.
                var view = new FrameColumn(frame, c);
                for (var row = 0; row < frame.RowCount; row++)
                {
                    Assert.Equal(frame[row, c], view[row]);
                }

                Assert.Equal(frame.Planned(c).OutputKind is FeatureType.Float or FeatureType.Int64 or FeatureType.FloatVector or FeatureType.Int64List && frame.RowCount > 0, isBuilt[c]);
                if (!isBuilt[c])
                {
                    continue;
                }

                var expected = ColumnBuilder.Build(alone, Names[c], new FrameColumn(frame, c), frame.Planned(c).OutputKind);
                AssertSameColumn(expected, built[c], $"round {round}, {Names[c]}");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryBuild_AValueOfAnotherType_IsLeftToTheOneAtATimeBuilder(bool packedFloats)
    {
        var frame = RandomFrame(new Random(3), rows: 20, wrongKind: true, packedFloats);
        using var batch = new FeatureBatch(frame.RowCount);

        Assert.False(RowColumns.TryBuild(batch, frame, new BatchColumn?[Names.Length], new bool[Names.Length]));
        Assert.Throws<FeatureValueException>(() => ColumnBuilder.Build(batch, "f_plain", new FrameColumn(frame, 0), FeatureType.Float));
    }

    [Fact]
    public void TryBuild_VectorsOfTwoLengthsInOneColumn_IsLeftToTheOneAtATimeBuilder()
    {
        var frame = RandomFrame(new Random(5), rows: 20, wrongKind: false);
        var slot = frame.Table!.SlotOf(1);
        var rows = Enumerable.Range(0, frame.RowCount).Where(r => frame.Table.RowValues(r) is { } v && slot < v.Length).Take(2).ToList();
        Assert.Equal(2, rows.Count);
        frame.Table.RowValues(rows[0])![slot] = TypedValue.FromFloatVector([1f, 2f]);
        frame.Table.RowValues(rows[1])![slot] = TypedValue.FromFloatVector([1f, 2f, 3f]);
        using var batch = new FeatureBatch(frame.RowCount);

        Assert.False(RowColumns.TryBuild(batch, frame, new BatchColumn?[Names.Length], new bool[Names.Length]));
        var error = Assert.Throws<FeatureValueException>(() => ColumnBuilder.Build(batch, "v_emb", new FrameColumn(frame, 1), FeatureType.FloatVector));
        Assert.Contains("v_emb", error.Message, StringComparison.Ordinal);
    }

    private static void AssertSameColumn(BatchColumn? expected, BatchColumn? actual, string what)
    {
        if (expected is null)
        {
            Assert.True(actual is null, $"{what}: no row has a value, yet a column was built");
            return;
        }

        Assert.NotNull(actual);
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.HasMissing, actual.HasMissing);
        Assert.Equal(expected.Missing.ToArray(), actual.Missing.ToArray());
        switch (expected)
        {
            case FloatBatchColumn floats:
                Assert.Equal(
                    floats.Values.ToArray().Select(BitConverter.SingleToInt32Bits),
                    ((FloatBatchColumn)actual).Values.ToArray().Select(BitConverter.SingleToInt32Bits));
                break;
            case Int64BatchColumn longs:
                Assert.Equal(longs.Values.ToArray(), ((Int64BatchColumn)actual).Values.ToArray());
                break;
            case FloatVectorBatchColumn vectors:
                var actualVectors = (FloatVectorBatchColumn)actual;
                Assert.Equal(vectors.Dimension, actualVectors.Dimension);
                Assert.Equal(
                    vectors.Values.ToArray().Select(BitConverter.SingleToInt32Bits),
                    actualVectors.Values.ToArray().Select(BitConverter.SingleToInt32Bits));
                break;
            default:
                var lists = (Int64ListBatchColumn)expected;
                var actualLists = (Int64ListBatchColumn)actual;
                Assert.Equal(lists.Lengths.ToArray(), actualLists.Lengths.ToArray());
                Assert.Equal(lists.Values.ToArray(), actualLists.Values.ToArray());
                break;
        }
    }

    /// <summary>
    /// A frame as the loader builds one: rows read from the cache (some with no values at all, some
    /// shorter than the slots), values of every registered kind, client values over some rows (an
    /// empty one too), and the registry's missing values. With <paramref name="packedFloats"/>, most
    /// rows come with their floats packed, as the cache gives them, and some without.
    /// </summary>
    private static FeatureFrame RandomFrame(Random random, int rows, bool wrongKind, bool packedFloats = false)
    {
        var planned = Names.Select(n => PlannedColumn.Of(n, Preprocessor)).ToArray();
        // Slots out of column order, as a cache entry holds its features.
        var slots = Enumerable.Range(0, Names.Length).OrderBy(_ => random.Next()).ToArray();
        var values = new TypedValue[]?[rows];
        for (var row = 0; row < rows; row++)
        {
            if (random.Next(8) == 0)
            {
                continue;
            }

            var array = values[row] = new TypedValue[random.Next(8) == 0 ? random.Next(Names.Length) : Names.Length];
            for (var c = 0; c < Names.Length; c++)
            {
                if ((uint)slots[c] < (uint)array.Length && random.Next(4) != 0)
                {
                    array[slots[c]] = Value(random, Names[c]);
                }
            }
        }

        if (wrongKind)
        {
            values[rows / 2] = new TypedValue[Names.Length];
            values[rows / 2]![slots[0]] = TypedValue.FromInt64(7);
        }

        var client = new ClientColumn?[Names.Length];
        foreach (var c in new[] { 0, 3 })
        {
            if (!wrongKind && random.Next(2) == 0)
            {
                var column = client[c] = new ClientColumn(Names[c], rows);
                for (var row = 0; row < rows; row++)
                {
                    if (random.Next(3) == 0)
                    {
                        column.Set(row, random.Next(4) == 0 ? TypedValue.None : Value(random, Names[c]));
                    }
                }
            }
        }

        var ids = Enumerable.Range(0, rows).Select(r => $"c{r}").ToArray();
        var table = packedFloats
            ? new FeatureTable(ids, Names, values, slots, pooledRows: false, [.. values.Select(v => v is not null && random.Next(5) != 0 ? FloatRow.Pack(v) : null)])
            : new FeatureTable(ids, Names, values, slots);
        return new FeatureFrame(planned, rows, table, client);
    }

    private static TypedValue Value(Random random, string name) => name[0] switch
    {
        'f' => name == "f_empty" ? TypedValue.None : TypedValue.FromFloat(random.Next(10) == 0 ? -0f : (random.NextSingle() * 100) - 50),
        'i' => TypedValue.FromInt64(random.NextInt64(long.MinValue, long.MaxValue)),
        'v' => TypedValue.FromFloatVector([.. Enumerable.Range(0, name == "v_emb" ? 2 : 5).Select(_ => random.Next(10) == 0 ? -0f : random.NextSingle())]),
        'l' => TypedValue.FromInt64List([.. Enumerable.Range(0, random.Next(name == "l_short" ? 2 : 6)).Select(_ => random.NextInt64(long.MinValue, long.MaxValue))]),
        _ => TypedValue.FromString($"s{random.Next(100)}"),
    };
}
