using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Features.Batches;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Tests.Support;
using Arbor.Features.Wire;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;

namespace Arbor.Features.Tests.Wire;

public sealed class EncodingPropertyTests
{
    [Fact]
    public void Encode_AnyBatch_RoundTripsThroughTheGeneratedParser()
    {
        Prop.ForAll(BatchGenerators.Batches.ToArbitrary(), batch =>
        {
            using var encoded = FeatureBatchEncoder.Encode(batch);
            var bytes = Write(encoded, null, out _);

            var expected = ReferenceColumns.Request("model", "3", "id", batch, ReferenceColumns.AllRows(batch), _ => true);
            return bytes.AsSpan().SequenceEqual(expected.ToByteArray())
                && LeafScoreRequest.Parser.ParseFrom(bytes).Equals(expected);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void EncodeRows_AnySubset_EqualsTheGeneratedMessageForThoseRows()
    {
        var cases =
            from batch in BatchGenerators.Batches
            from rows in batch.RowCount == 0
                ? Gen.Constant(Array.Empty<int>())
                : Gen.ArrayOf(Gen.Choose(0, batch.RowCount - 1))
            select (batch, rows);

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var encoded = FeatureBatchEncoder.EncodeRows(c.batch, c.rows);
            var bytes = Write(encoded, null, out _);

            var expected = ReferenceColumns.Request("model", "3", "id", c.batch, c.rows, _ => true);
            return bytes.AsSpan().SequenceEqual(expected.ToByteArray());
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Write_AnyAllowlist_ParsesToExactlyTheAllowlistedColumnsWithUnchangedBytes()
    {
        var cases =
            from batch in BatchGenerators.Batches
            let names = batch.Columns.Concat(batch.SharedColumns).Select(c => c.Name).ToArray()
            from kept in Gen.SubListOf(names)
            from extra in Gen.Elements("absent_a", "absent_b")
            select (batch, allowlist: new ColumnAllowlist([.. kept, extra]));

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var encoded = FeatureBatchEncoder.Encode(c.batch);
            var bytes = Write(encoded, c.allowlist, out var result);

            var expected = ReferenceColumns.Request("model", "3", "id", c.batch, ReferenceColumns.AllRows(c.batch), c.allowlist.Contains);
            var untrimmed = Write(encoded, null, out _);
            return bytes.AsSpan().SequenceEqual(expected.ToByteArray())
                && result.MessageBytes == bytes.Length
                && result.BytesRemoved == untrimmed.Length - bytes.Length
                && result.ColumnsWritten + result.ColumnsRemoved == encoded.ColumnCount
                && result.AllowlistedAbsent == c.allowlist.Count - result.ColumnsWritten;
        }).QuickCheckThrowOnFailure();
    }

    private static byte[] Write(EncodedBatch encoded, ColumnAllowlist? allowlist, out LeafRequestWriteResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        result = LeafRequestWriter.Write(buffer, new LeafRequestHeader("model", "3", "id"), encoded, allowlist);
        return buffer.WrittenSpan.ToArray();
    }
}
