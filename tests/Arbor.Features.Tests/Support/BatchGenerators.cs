using Arbor.Features.Batches;
using Arbor.Features.Values;
using FsCheck;
using FsCheck.Fluent;

namespace Arbor.Features.Tests.Support;

/// <summary>FsCheck generators of feature batches with every column kind, missing rows and odd values.</summary>
public static class BatchGenerators
{
    private static readonly string[] TextPieces = ["a", "bc", "é", "€", "😀", " ", "\u0000", "feature"];

    public static Gen<float> Floats { get; } = Gen.Frequency(
        (8, Gen.Choose(-100_000, 100_000).Select(i => i / 64f)),
        (1, Gen.Elements(float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue)));

    public static Gen<long> Longs { get; } = Gen.Frequency(
        (4, Gen.Choose(-1000, 1000).Select(i => (long)i)),
        (4, Gen.Two(Gen.Choose(-1_000_000_000, 1_000_000_000)).Select(t => ((long)t.Item1 << 31) ^ t.Item2)),
        (1, Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L, 127L, 128L)));

    public static Gen<string> Text { get; } = Gen.ArrayOf(Gen.Elements(TextPieces)).Select(string.Concat);

    /// <summary>A batch of 0–12 rows with 0–6 per-row columns (f0, f1, ...) and 0–3 shared ones (s0, ...).</summary>
    public static Gen<FeatureBatch> Batches { get; } =
        from rows in Gen.Choose(0, 12)
        from perRowCount in Gen.Choose(0, 6)
        from sharedCount in Gen.Choose(0, 3)
        from perRow in Gen.CollectToArray(Enumerable.Range(0, perRowCount), i => Column($"f{i}", rows))
        from shared in Gen.CollectToArray(Enumerable.Range(0, sharedCount), i => Column($"s{i}", 1))
        select Build(rows, perRow, shared);

    /// <summary>One column of any kind named <paramref name="name"/> over <paramref name="rows"/> rows.</summary>
    public static Gen<BatchColumn> Column(string name, int rows) =>
        from kind in Gen.Elements(Enum.GetValues<FeatureType>())
        from missing in Gen.ArrayOf(Gen.Elements(false, false, false, true), rows)
        from column in ColumnOf(kind, name, rows, Bitmap(missing))
        select column;

    private static Gen<BatchColumn> ColumnOf(FeatureType kind, string name, int rows, byte[] missing) => kind switch
    {
        FeatureType.Float => Gen.ArrayOf(Floats, rows).Select(v => (BatchColumn)new FloatBatchColumn(name, v, missing)),
        FeatureType.Int64 => Gen.ArrayOf(Longs, rows).Select(v => (BatchColumn)new Int64BatchColumn(name, v, missing)),
        FeatureType.FloatVector =>
            from dim in Gen.Choose(1, 5)
            from values in Gen.ArrayOf(Floats, rows * dim)
            select (BatchColumn)new FloatVectorBatchColumn(name, dim, values, missing),
        FeatureType.Int64List =>
            Gen.ArrayOf(Gen.ArrayOf(Longs).Resize(6), rows).Select(lists => (BatchColumn)new Int64ListBatchColumn(
                name, [.. lists.Select(l => l.Length)], [.. lists.SelectMany(l => l)], missing)),
        FeatureType.String => Gen.ArrayOf(Text.Resize(4), rows).Select(v => (BatchColumn)new StringBatchColumn(name, v, missing)),
        _ => Gen.ArrayOf(Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).Resize(8), rows)
            .Select(v => (BatchColumn)new BytesBatchColumn(name, [.. v.Select(b => new ReadOnlyMemory<byte>(b))], missing)),
    };

    private static byte[] Bitmap(bool[] missing)
    {
        var bitmap = MissingBitmap.Create(missing.Length);
        for (var i = 0; i < missing.Length; i++)
        {
            if (missing[i])
            {
                MissingBitmap.Set(bitmap, i);
            }
        }

        return bitmap;
    }

    private static FeatureBatch Build(int rows, BatchColumn[] perRow, BatchColumn[] shared)
    {
        var batch = new FeatureBatch(rows);
        foreach (var column in perRow)
        {
            batch.Add(column);
        }

        foreach (var column in shared)
        {
            batch.AddShared(column);
        }

        return batch;
    }
}
