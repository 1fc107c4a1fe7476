using Arbor.Contracts.V1;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Signatures.Signatures;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;

namespace Arbor.Leaf.Tests.Conversion;

public sealed class FeatureConverterTests
{
    private static readonly FeatureConverter Ctr = new(ModuleInfoParser.Parse(TestModelSet.CtrSignature("ctr", "1").ToJsonString()));

    [Fact]
    public void Convert_PerRowColumns_LaysOutDenseVectorAndIdList()
    {
        using var batch = Ctr.Convert(ScoringCases.All[0].ToRequest("ctr"));

        Assert.Equal(4, batch.Arguments.Length);
        Assert.Equal([0.25f, 1f, -1.5f, 2f, 3f, -0.125f], batch.Arguments[0].Floats.ToArray());
        Assert.Equal((3L, 2L), (batch.Arguments[0].Dim0, batch.Arguments[0].Dim1));
        Assert.Equal([0.1f, 0.2f, 0.3f, 0.4f, -1f, 0f, 1f, 2f, 5f, 4f, 3f, 2f], batch.Arguments[1].Floats.ToArray());
        Assert.Equal([1L, 2, 3, 7, 900, 901, 902], batch.Arguments[2].Int64s.ToArray());
        Assert.Equal([0L, 3, 4], batch.Arguments[3].Int64s.ToArray());
        Assert.Equal((0, 0), (batch.UnusedFeatures, batch.MissingFeatures));
    }

    [Fact]
    public void Convert_MissingRowsAndAbsentFeatures_UseDefaultsAndCountMissing()
    {
        using var batch = Ctr.Convert(ScoringCases.All[1].ToRequest("ctr"));

        // a: rows 1 and 3 missing → default 0.5; b absent → 0.5 everywhere.
        Assert.Equal([1f, 0.5f, 0.5f, 0.5f, 2f, 0.5f, 0.5f, 0.5f], batch.Arguments[0].Floats.ToArray());
        Assert.All(batch.Arguments[1].Floats.ToArray(), value => Assert.Equal(0f, value));
        Assert.Equal(2, batch.MissingFeatures);
    }

    [Fact]
    public void Convert_SharedIdList_IsBroadcastAndTruncated()
    {
        using var batch = Ctr.Convert(ScoringCases.All[1].ToRequest("ctr"));

        Assert.Equal([11L, 12, 13, 11, 12, 13, 11, 12, 13, 11, 12, 13], batch.Arguments[2].Int64s.ToArray());
        Assert.Equal([0L, 3, 6, 9], batch.Arguments[3].Int64s.ToArray());
    }

    [Fact]
    public void Convert_MissingIdListRow_IsEmptyAndItsPlaceholderSkipped()
    {
        using var batch = Ctr.Convert(ScoringCases.All[2].ToRequest("ctr"));

        Assert.Equal([5L, 6, 42, 1, 2, 3], batch.Arguments[2].Int64s.ToArray());
        Assert.Equal([0L, 2, 2, 2, 3], batch.Arguments[3].Int64s.ToArray());
    }

    [Fact]
    public void Convert_UnknownColumns_AreCountedAsUnused()
    {
        var request = ScoringCases.All[0].ToRequest("ctr");
        request.Columns.Add(new FeatureColumn { Name = "not_used", Floats = new FloatColumn { Values = { 1f, 2f, 3f } } });
        request.SharedColumns.Add(new FeatureColumn { Name = "user_thing", Strings = new StringColumn { Values = { "x" } } });

        using var batch = Ctr.Convert(request);

        Assert.Equal(2, batch.UnusedFeatures);
    }

    [Fact]
    public void Convert_Int64ColumnForDenseFeature_IsWidenedToFloat()
    {
        var request = new LeafScoreRequest { RowCount = 2 };
        request.Columns.Add(new FeatureColumn { Name = "a", Int64S = new Int64Column { Values = { 3, -4 } } });

        using var batch = Ctr.Convert(request);

        Assert.Equal([3f, 0.5f, -4f, 0.5f], batch.Arguments[0].Floats.ToArray());
    }

    public static TheoryData<string, FeatureColumn, bool> BadColumns => new()
    {
        { "a", new FeatureColumn { Name = "a", Strings = new StringColumn { Values = { "x", "y" } } }, false },
        { "a", new FeatureColumn { Name = "a", Floats = new FloatColumn { Values = { 1f } } }, false },
        { "a", new FeatureColumn { Name = "a", Floats = new FloatColumn { Values = { 1f, 2f } } }, true },
        { "v", new FeatureColumn { Name = "v", FloatVectors = new FloatVectorColumn { Dim = 3, Values = { 1, 2, 3, 4, 5, 6 } } }, false },
        { "v", new FeatureColumn { Name = "v", FloatVectors = new FloatVectorColumn { Dim = 4, Values = { 1, 2, 3 } } }, false },
        { "v", new FeatureColumn { Name = "v", Floats = new FloatColumn { Values = { 1f, 2f } } }, false },
        { "ids", new FeatureColumn { Name = "ids", Int64Lists = new Int64ListColumn { Lengths = { 1 }, Values = { 1 } } }, false },
        { "ids", new FeatureColumn { Name = "ids", Int64Lists = new Int64ListColumn { Lengths = { 1, 2 }, Values = { 1 } } }, false },
        { "ids", new FeatureColumn { Name = "ids", Int64S = new Int64Column { Values = { 1, 2 } } }, false },
        { "a", new FeatureColumn { Name = "a", Floats = new FloatColumn { Values = { 1f, 2f } }, Missing = ByteString.Empty }, true },
    };

    [Theory]
    [MemberData(nameof(BadColumns))]
    public void Convert_ColumnThatDoesNotFit_ThrowsNamingTheFeature(string feature, FeatureColumn column, bool shared)
    {
        var request = new LeafScoreRequest { RowCount = 2 };
        (shared ? request.SharedColumns : request.Columns).Add(column);

        var error = Assert.Throws<FeatureConversionException>(() => Ctr.Convert(request));

        Assert.Equal(feature, error.Feature);
        Assert.Contains($"'{feature}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Convert_MissingRowsOmittedFromTheValues_GivesTheSameInputsAsPlaceholders(int scoringCase)
    {
        var withPlaceholders = ScoringCases.All[scoringCase].ToRequest("ctr");
        var omitted = OmitMissingRows(withPlaceholders);
        Assert.True(omitted.CalculateSize() <= withPlaceholders.CalculateSize());

        using var expected = Ctr.Convert(withPlaceholders);
        using var actual = Ctr.Convert(omitted);

        Assert.Equal(expected.Arguments.Length, actual.Arguments.Length);
        for (var i = 0; i < expected.Arguments.Length; i++)
        {
            Assert.Equal(expected.Arguments[i].Floats.ToArray(), actual.Arguments[i].Floats.ToArray());
            Assert.Equal(expected.Arguments[i].Int64s.ToArray(), actual.Arguments[i].Int64s.ToArray());
            Assert.Equal((expected.Arguments[i].Dim0, expected.Arguments[i].Dim1), (actual.Arguments[i].Dim0, actual.Arguments[i].Dim1));
        }

        Assert.Equal(expected.MissingFeatures, actual.MissingFeatures);
    }

    public static TheoryData<string, FeatureColumn> BadOmittedColumns => new()
    {
        // Row 1 missing: one value expected, a placeholder sent anyway.
        { "a", new FeatureColumn { Name = "a", Missing = ByteString.CopyFrom(0b10), MissingOmitted = true, Floats = new FloatColumn { Values = { 1f, 0f } } } },
        { "v", new FeatureColumn { Name = "v", Missing = ByteString.CopyFrom(0b01), MissingOmitted = true, FloatVectors = new FloatVectorColumn { Dim = 4, Values = { 1, 2, 3, 4, 0, 0, 0, 0 } } } },
        { "ids", new FeatureColumn { Name = "ids", Missing = ByteString.CopyFrom(0b01), MissingOmitted = true, Int64Lists = new Int64ListColumn { Lengths = { 1, 0 }, Values = { 7 } } } },
    };

    [Theory]
    [MemberData(nameof(BadOmittedColumns))]
    public void Convert_OmittedColumnWithPlaceholders_ThrowsNamingTheFeature(string feature, FeatureColumn column)
    {
        var request = new LeafScoreRequest { RowCount = 2 };
        request.Columns.Add(column);

        var error = Assert.Throws<FeatureConversionException>(() => Ctr.Convert(request));

        Assert.Equal(feature, error.Feature);
        Assert.Contains("present rows", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The same request with every missing row's placeholder removed (<c>missing_omitted</c>).</summary>
    private static LeafScoreRequest OmitMissingRows(LeafScoreRequest request)
    {
        var omitted = request.Clone();
        foreach (var column in omitted.Columns.Concat(omitted.SharedColumns))
        {
            if (column.Missing.IsEmpty)
            {
                continue;
            }

            var missing = column.Missing.ToByteArray();
            bool Present(int row) => (missing[row >> 3] & (1 << (row & 7))) == 0;
            column.MissingOmitted = true;
            switch (column.ValuesCase)
            {
                case FeatureColumn.ValuesOneofCase.Floats:
                    var floats = column.Floats.Values.Where((_, row) => Present(row)).ToArray();
                    column.Floats.Values.Clear();
                    column.Floats.Values.Add(floats);
                    break;
                case FeatureColumn.ValuesOneofCase.Int64S:
                    var longs = column.Int64S.Values.Where((_, row) => Present(row)).ToArray();
                    column.Int64S.Values.Clear();
                    column.Int64S.Values.Add(longs);
                    break;
                case FeatureColumn.ValuesOneofCase.FloatVectors:
                    var dim = (int)column.FloatVectors.Dim;
                    var vectors = column.FloatVectors.Values.Where((_, i) => Present(i / dim)).ToArray();
                    column.FloatVectors.Values.Clear();
                    column.FloatVectors.Values.Add(vectors);
                    break;
                case FeatureColumn.ValuesOneofCase.Int64Lists:
                    var lists = column.Int64Lists;
                    var lengths = new List<uint>();
                    var ids = new List<long>();
                    var start = 0;
                    for (var row = 0; row < lists.Lengths.Count; row++)
                    {
                        var length = (int)lists.Lengths[row];
                        if (Present(row))
                        {
                            lengths.Add(lists.Lengths[row]);
                            ids.AddRange(lists.Values.Skip(start).Take(length));
                        }

                        start += length;
                    }

                    lists.Lengths.Clear();
                    lists.Lengths.Add(lengths);
                    lists.Values.Clear();
                    lists.Values.Add(ids);
                    break;
            }
        }

        return omitted;
    }

    [Fact]
    public void Convert_FeatureTwice_Throws()
    {
        var request = new LeafScoreRequest { RowCount = 1 };
        request.Columns.Add(new FeatureColumn { Name = "a", Floats = new FloatColumn { Values = { 1f } } });
        request.SharedColumns.Add(new FeatureColumn { Name = "a", Floats = new FloatColumn { Values = { 1f } } });

        var error = Assert.Throws<FeatureConversionException>(() => Ctr.Convert(request));

        Assert.Equal("a", error.Feature);
    }

    [Fact]
    public void Convert_ShortMissingBitmap_Throws()
    {
        var request = new LeafScoreRequest { RowCount = 9 };
        request.Columns.Add(new FeatureColumn
        {
            Name = "a",
            Missing = ByteString.CopyFrom(0x01),
            Floats = new FloatColumn { Values = { 1, 2, 3, 4, 5, 6, 7, 8, 9 } },
        });

        var error = Assert.Throws<FeatureConversionException>(() => Ctr.Convert(request));

        Assert.Contains("missing bitmap", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_AllRowsMissingWithoutValues_UsesDefaults()
    {
        var request = new LeafScoreRequest { RowCount = 2 };
        request.Columns.Add(new FeatureColumn { Name = "a", Missing = ByteString.CopyFrom(0x03) });

        using var batch = Ctr.Convert(request);

        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f], batch.Arguments[0].Floats.ToArray());
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(FeatureConverter.MaxRowCount + 1u)]
    public void Convert_RowCountOutOfRange_Throws(uint rows)
    {
        Assert.Throws<FeatureConversionException>(() => Ctr.Convert(new LeafScoreRequest { RowCount = rows }));
    }

    [Fact]
    public void Merge_OfConvertedRequests_EqualsConvertingTheConcatenatedRows()
    {
        // Property: merging batches (dynamic batching) must give exactly the tensors of one request
        // holding all their rows, whatever the row counts, lists and missing rows.
        var rowsGen = Gen.Choose(1, 6);
        var requestGen = rowsGen.SelectMany(rows => Gen.Choose(0, int.MaxValue).Select(seed => RandomCase(rows, seed)));
        Prop.ForAll(requestGen.ListOf().Where(l => l.Count > 0 && l.Count < 6).ToArbitrary(), cases =>
        {
            var batches = cases.Select(c => Ctr.Convert(c.ToRequest("ctr"))).ToList();
            using var merged = Ctr.Merge(batches);
            using var whole = Ctr.Convert(Concatenate(cases).ToRequest("ctr"));
            var equal = merged.RowCount == whole.RowCount;
            for (var i = 0; i < whole.Arguments.Length && equal; i++)
            {
                var (m, w) = (merged.Arguments[i], whole.Arguments[i]);
                equal = m.Dim0 == w.Dim0 && m.Dim1 == w.Dim1 &&
                    m.Floats.Span.SequenceEqual(w.Floats.Span) && m.Int64s.Span.SequenceEqual(w.Int64s.Span);
            }

            batches.ForEach(b => b.Dispose());
            return equal;
        }).QuickCheckThrowOnFailure();
    }

    private static ScoringCase RandomCase(int rows, int seed)
    {
        var random = new Random(seed);
        List<int> Missing() => Enumerable.Range(0, rows).Where(_ => random.Next(4) == 0).ToList();
        return new ScoringCase(rows, [
            new CaseFeature("a", Enumerable.Range(0, rows).Select(_ => (object)(float)random.NextDouble()).ToList(), Missing()),
            new CaseFeature("v", Enumerable.Range(0, rows).Select(_ => (object)Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble()).ToArray()).ToList(), Missing()),
            new CaseFeature("ids", Enumerable.Range(0, rows).Select(_ => (object)Enumerable.Range(0, random.Next(6)).Select(_ => (long)random.Next(100)).ToArray()).ToList(), Missing()),
        ]);
    }

    private static ScoringCase Concatenate(IReadOnlyList<ScoringCase> cases)
    {
        var features = new List<CaseFeature>();
        foreach (var name in new[] { "a", "v", "ids" })
        {
            var values = new List<object>();
            var missing = new List<int>();
            var offset = 0;
            foreach (var c in cases)
            {
                var feature = c.Features.Single(f => f.Name == name);
                values.AddRange(feature.Values);
                missing.AddRange(feature.MissingRows.Select(r => r + offset));
                offset += c.Rows;
            }

            features.Add(new CaseFeature(name, values, missing));
        }

        return new ScoringCase(cases.Sum(c => c.Rows), features);
    }
}
