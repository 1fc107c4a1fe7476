using Arbor.Features.Batches;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Batching;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Registry;

namespace Arbor.Root.Tests.Batching;

/// <summary>
/// The float and int64 columns built together row by row are the columns built one at a time:
/// the same values, bit for bit, the same missing bits, the same empty columns; and a column view
/// reads what the frame's indexer reads.
/// </summary>
public sealed class ScalarColumnsTests
{
    private static readonly FeaturePreprocessor Preprocessor = new(new FeatureRegistry(FeatureRegistry.SchemaV1,
    [
        new("f_plain", FeatureType.Float, FeatureEntity.Candidate),
        new("f_filled", FeatureType.Float, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: 0.25)]),
        new("i_plain", FeatureType.Int64, FeatureEntity.Candidate),
        new("i_filled", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: -1)]),
        new("f_empty", FeatureType.Float, FeatureEntity.Candidate),
        new("v_emb", FeatureType.FloatVector, FeatureEntity.Candidate, Dim: 2),
        new("s_name", FeatureType.String, FeatureEntity.Candidate),
    ]));

    private static readonly string[] Names = ["f_plain", "v_emb", "f_filled", "i_plain", "f_empty", "i_filled", "s_name"];

    [Fact]
    public void TryBuild_RandomFrames_BuildsTheColumnsTheOneAtATimeBuilderBuilds()
    {
        var random = new Random(20261204);
        for (var round = 0; round < 200; round++)
        {
            var frame = RandomFrame(random, rows: random.Next(0, 70), wrongKind: false);
            using var together = new FeatureBatch(frame.RowCount);
            var built = new BatchColumn?[Names.Length];
            var isScalar = new bool[Names.Length];

            Assert.True(ScalarColumns.TryBuild(together, frame, built, isScalar));

            using var alone = new FeatureBatch(frame.RowCount);
            for (var c = 0; c < Names.Length; c++)
            {
                // The column view reads what the frame's indexer reads.
                var view = new FrameColumn(frame, c);
                for (var row = 0; row < frame.RowCount; row++)
                {
                    Assert.Equal(frame[row, c], view[row]);
                }

                Assert.Equal(frame.Planned(c).OutputKind is FeatureType.Float or FeatureType.Int64 && frame.RowCount > 0, isScalar[c]);
                if (!isScalar[c])
                {
                    continue;
                }

                var expected = ColumnBuilder.Build(alone, Names[c], new FrameColumn(frame, c), frame.Planned(c).OutputKind);
                AssertSameColumn(expected, built[c], $"round {round}, {Names[c]}");
            }
        }
    }

    [Fact]
    public void TryBuild_AValueOfAnotherType_IsLeftToTheOneAtATimeBuilder()
    {
        var frame = RandomFrame(new Random(3), rows: 20, wrongKind: true);
        using var batch = new FeatureBatch(frame.RowCount);

        Assert.False(ScalarColumns.TryBuild(batch, frame, new BatchColumn?[Names.Length], new bool[Names.Length]));
        Assert.Throws<FeatureValueException>(() => ColumnBuilder.Build(batch, "f_plain", new FrameColumn(frame, 0), FeatureType.Float));
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
        if (expected is FloatBatchColumn floats)
        {
            Assert.Equal(
                floats.Values.ToArray().Select(BitConverter.SingleToInt32Bits),
                ((FloatBatchColumn)actual).Values.ToArray().Select(BitConverter.SingleToInt32Bits));
        }
        else
        {
            Assert.Equal(((Int64BatchColumn)expected).Values.ToArray(), ((Int64BatchColumn)actual).Values.ToArray());
        }
    }

    /// <summary>
    /// A frame as the loader builds one: rows read from the cache (some with no values at all, some
    /// shorter than the slots), values of every registered kind, client values over some rows (an
    /// empty one too), and the registry's missing values.
    /// </summary>
    private static FeatureFrame RandomFrame(Random random, int rows, bool wrongKind)
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

        var table = new FeatureTable([.. Enumerable.Range(0, rows).Select(r => $"c{r}")], Names, values, slots);
        return new FeatureFrame(planned, rows, table, client);
    }

    private static TypedValue Value(Random random, string name) => name[0] switch
    {
        'f' => name == "f_empty" ? TypedValue.None : TypedValue.FromFloat(random.Next(10) == 0 ? -0f : (random.NextSingle() * 100) - 50),
        'i' => TypedValue.FromInt64(random.NextInt64(long.MinValue, long.MaxValue)),
        'v' => TypedValue.FromFloatVector([random.NextSingle(), random.NextSingle()]),
        _ => TypedValue.FromString($"s{random.Next(100)}"),
    };
}
