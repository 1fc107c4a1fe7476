using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Features.Batches;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Tests.Support;
using Arbor.Features.Wire;
using Google.Protobuf;

namespace Arbor.Features.Tests.Wire;

public sealed class FeatureBatchEncoderTests
{
    [Fact]
    public void Encode_EveryKind_MatchesGeneratedSerializerByteForByte()
    {
        var batch = SampleBatches.EveryKind();
        using var encoded = FeatureBatchEncoder.Encode(batch);

        var bytes = WriteRequest(encoded, allowlist: null);

        var expected = ReferenceColumns.Request("m", "7", "req-1", batch, ReferenceColumns.AllRows(batch), _ => true);
        Assert.Equal(expected.ToByteArray(), bytes);
        Assert.Equal(expected, LeafScoreRequest.Parser.ParseFrom(bytes));
    }

    [Fact]
    public void Encode_EachColumn_IsACompleteLeafRequestField()
    {
        var batch = SampleBatches.EveryKind();
        using var encoded = FeatureBatchEncoder.Encode(batch);

        foreach (var column in encoded.Columns)
        {
            var parsed = LeafScoreRequest.Parser.ParseFrom(encoded.GetBytes(column).ToArray());

            var source = batch.Columns.Concat(batch.SharedColumns).Single(c => c.Name == column.Name);
            var rows = column.IsShared ? new[] { 0 } : [.. ReferenceColumns.AllRows(batch)];
            var expected = ReferenceColumns.Column(source, rows);
            Assert.Equal(expected, Assert.Single(column.IsShared ? parsed.SharedColumns : parsed.Columns));
        }
    }

    [Fact]
    public void Encode_SharedColumns_ComeAfterPerRowColumnsAndAreMarkedShared()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());

        var names = encoded.Columns.ToArray().Select(c => (c.Name, c.IsShared)).ToArray();

        Assert.Equal(8, names.Length);
        Assert.All(names[..6], n => Assert.False(n.IsShared));
        Assert.Equal([("user_age_days", true), ("user_interest_ids", true)], names[6..]);
        Assert.Equal(encoded.PayloadBytes, encoded.Columns.ToArray().Sum(c => c.Length));
    }

    [Fact]
    public void Encode_AllZeroMissingBitmap_OmitsTheMissingField()
    {
        var batch = new FeatureBatch(2).Add(new FloatBatchColumn("x", [1f, 2f], MissingBitmap.Create(2)));
        using var encoded = FeatureBatchEncoder.Encode(batch);

        var parsed = LeafScoreRequest.Parser.ParseFrom(WriteRequest(encoded, null));

        Assert.True(parsed.Columns[0].Missing.IsEmpty);
    }

    [Fact]
    public void Encode_MissingRows_CostTheirBitOnly_NoPlaceholderValues()
    {
        // Rows 1 and 2 of 3 missing in every column: the values hold row 0 alone.
        var missing = MissingBitmap.Create(3);
        MissingBitmap.Set(missing, 1);
        MissingBitmap.Set(missing, 2);
        var batch = new FeatureBatch(3)
            .Add(new FloatBatchColumn("f", [1.5f, 0f, 0f], missing))
            .Add(new FloatVectorBatchColumn("v", 4, [1f, 2f, 3f, 4f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f], missing))
            .Add(new Int64ListBatchColumn("ids", [2, 0, 0], [7L, 8L], missing));
        using var encoded = FeatureBatchEncoder.Encode(batch);

        var parsed = LeafScoreRequest.Parser.ParseFrom(WriteRequest(encoded, null));

        Assert.All(parsed.Columns, c => Assert.True(c.MissingOmitted));
        Assert.All(parsed.Columns, c => Assert.Equal(missing, c.Missing.ToByteArray()));
        Assert.Equal([1.5f], parsed.Columns[0].Floats.Values);
        Assert.Equal([1f, 2f, 3f, 4f], parsed.Columns[1].FloatVectors.Values);
        Assert.Equal([2u], parsed.Columns[2].Int64Lists.Lengths);
        Assert.Equal([7L, 8L], parsed.Columns[2].Int64Lists.Values);

        // Against the same values with nothing missing, the two missing rows save their placeholders:
        // 2 floats, 2 vectors of 4 floats, 2 list lengths, for a bitmap and the flag per column.
        using var full = FeatureBatchEncoder.Encode(new FeatureBatch(3)
            .Add(new FloatBatchColumn("f", [1.5f, 0f, 0f]))
            .Add(new FloatVectorBatchColumn("v", 4, [1f, 2f, 3f, 4f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f]))
            .Add(new Int64ListBatchColumn("ids", [2, 0, 0], [7L, 8L])));
        var placeholders = (2 * sizeof(float)) + (2 * 4 * sizeof(float)) + 2;
        var bitmapAndFlag = 3 * (2 + 1 + 2);
        Assert.Equal(full.PayloadBytes - placeholders + bitmapAndFlag, encoded.PayloadBytes);

        // The raw values carried: one float, one vector of 4, two ids; a written request sums its columns'.
        Assert.Equal([4L, 16L, 16L], encoded.Columns.ToArray().Select(c => c.ValueBytes));
        Assert.Equal([12L, 48L, 16L], full.Columns.ToArray().Select(c => c.ValueBytes));
        var output = new ArrayBufferWriter<byte>();
        var result = LeafRequestWriter.Write(output, new LeafRequestHeader("m", null, null), encoded, new ColumnAllowlist(["f", "ids"]));
        Assert.Equal(4L + 16L, result.ValueBytes);
    }

    [Fact]
    public void EncodeRows_Subset_EqualsTheGeneratedMessageForThoseRows()
    {
        var batch = SampleBatches.EveryKind();
        int[] rows = [2, 1];
        using var encoded = FeatureBatchEncoder.EncodeRows(batch, rows);

        var bytes = WriteRequest(encoded, null);

        var expected = ReferenceColumns.Request("m", "7", "req-1", batch, rows, _ => true);
        Assert.Equal(expected.ToByteArray(), bytes);
        Assert.Equal(2, encoded.RowCount);
    }

    [Fact]
    public void EncodeRows_RowsWithoutMissingValues_OmitsTheMissingField()
    {
        using var encoded = FeatureBatchEncoder.EncodeRows(SampleBatches.EveryKind(), [0, 2]);

        var parsed = LeafScoreRequest.Parser.ParseFrom(WriteRequest(encoded, null));

        Assert.All(parsed.Columns, c => Assert.True(c.Missing.IsEmpty));
    }

    [Fact]
    public void EncodeRows_WithAllowlist_EncodesOnlyAllowlistedColumns()
    {
        var allowlist = new ColumnAllowlist(["pin_embedding", "user_age_days", "not_in_batch"]);

        using var encoded = FeatureBatchEncoder.EncodeRows(SampleBatches.EveryKind(), [0], allowlist);

        Assert.Equal(["pin_embedding", "user_age_days"], encoded.Columns.ToArray().Select(c => c.Name));
    }

    [Fact]
    public void EncodeRows_RowOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureBatchEncoder.EncodeRows(SampleBatches.EveryKind(), [0, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureBatchEncoder.EncodeRows(SampleBatches.EveryKind(), [-1]));
    }

    [Fact]
    public void Encode_EmptyBatch_WritesAHeaderOnlyRequest()
    {
        using var encoded = FeatureBatchEncoder.Encode(new FeatureBatch(0));

        var parsed = LeafScoreRequest.Parser.ParseFrom(WriteRequest(encoded, null));

        Assert.Equal("m", parsed.Model);
        Assert.Equal(0u, parsed.RowCount);
        Assert.Empty(parsed.Columns);
    }

    [Fact]
    public void Dispose_ThenRead_ThrowsObjectDisposed()
    {
        var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        encoded.Dispose();
        encoded.Dispose();

        Assert.Throws<ObjectDisposedException>(() => encoded.Columns.Length);
    }

    private static byte[] WriteRequest(EncodedBatch encoded, ColumnAllowlist? allowlist)
    {
        var buffer = new ArrayBufferWriter<byte>();
        LeafRequestWriter.Write(buffer, new LeafRequestHeader("m", "7", "req-1"), encoded, allowlist);
        return buffer.WrittenSpan.ToArray();
    }
}
