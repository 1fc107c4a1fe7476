using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Features.Batches;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Tests.Support;
using Arbor.Features.Wire;
using FsCheck;
using FsCheck.Fluent;

namespace Arbor.Trimming.Tests.Properties;

public sealed class TrimPropertyTests
{
    private static readonly LeafRequestHeader Header = new("model", "1", "req");

    /// <summary>A batch and an allowlist naming some of its features and some it lacks.</summary>
    private static Arbitrary<(FeatureBatch Batch, ColumnAllowlist Allowlist)> Cases { get; } = (
        from batch in BatchGenerators.Batches
        let names = batch.Columns.Concat(batch.SharedColumns).Select(c => c.Name).ToArray()
        from kept in Gen.SubListOf(names)
        from absent in Gen.SubListOf(new[] { "absent_1", "absent_2" })
        select (batch, new ColumnAllowlist([.. kept, .. absent, "absent_0"]))).ToArbitrary();

    [Fact]
    public void Trim_IsIdempotent()
    {
        Prop.ForAll(Cases, c =>
        {
            using var encoded = FeatureBatchEncoder.Encode(c.Batch);
            var once = Write(encoded, c.Allowlist, out _);

            // The trimmed batch (only allowlisted columns), trimmed again.
            using var trimmed = FeatureBatchEncoder.EncodeRows(c.Batch, AllRows(c.Batch), c.Allowlist);
            var twice = Write(trimmed, c.Allowlist, out var second);

            return once.AsSpan().SequenceEqual(twice) && second.ColumnsRemoved == 0 && second.BytesRemoved == 0;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Trim_NeverDropsAnAllowlistedFeaturePresentInTheInput()
    {
        Prop.ForAll(Cases, c =>
        {
            using var encoded = FeatureBatchEncoder.Encode(c.Batch);
            var parsed = LeafScoreRequest.Parser.ParseFrom(Write(encoded, c.Allowlist, out _));

            var sent = parsed.Columns.Concat(parsed.SharedColumns).Select(col => col.Name).ToHashSet(StringComparer.Ordinal);
            return c.Batch.Columns.Concat(c.Batch.SharedColumns)
                .Where(col => c.Allowlist.Contains(col.Name))
                .All(col => sent.Contains(col.Name))
                && sent.All(c.Allowlist.Contains);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Trim_GivesTheModelTheSameColumnsAsUntrimmed()
    {
        Prop.ForAll(Cases, c =>
        {
            using var encoded = FeatureBatchEncoder.Encode(c.Batch);
            var untrimmed = LeafScoreRequest.Parser.ParseFrom(Write(encoded, null, out _));
            var trimmed = LeafScoreRequest.Parser.ParseFrom(Write(encoded, c.Allowlist, out _));

            // What the leaf's converter reads: per allowlisted feature, the column of that name (or none).
            return untrimmed.RowCount == trimmed.RowCount
                && c.Allowlist.Features.All(feature =>
                    Equals(Find(untrimmed.Columns, feature), Find(trimmed.Columns, feature))
                    && Equals(Find(untrimmed.SharedColumns, feature), Find(trimmed.SharedColumns, feature)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Trim_OfARowSubset_GivesTheModelTheSameColumnsAsUntrimmedForThoseRows()
    {
        var cases =
            from c in Cases.Generator
            from rows in c.Batch.RowCount == 0 ? Gen.Constant(Array.Empty<int>()) : Gen.ArrayOf(Gen.Choose(0, c.Batch.RowCount - 1))
            select (c.Batch, c.Allowlist, rows);

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var all = FeatureBatchEncoder.EncodeRows(c.Batch, c.rows);
            using var onlyAllowed = FeatureBatchEncoder.EncodeRows(c.Batch, c.rows, c.Allowlist);
            var untrimmed = LeafScoreRequest.Parser.ParseFrom(Write(all, null, out _));
            var trimmed = LeafScoreRequest.Parser.ParseFrom(Write(onlyAllowed, c.Allowlist, out _));

            return trimmed.RowCount == (uint)c.rows.Length
                && c.Allowlist.Features.All(feature =>
                    Equals(Find(untrimmed.Columns, feature), Find(trimmed.Columns, feature))
                    && Equals(Find(untrimmed.SharedColumns, feature), Find(trimmed.SharedColumns, feature)));
        }).QuickCheckThrowOnFailure();
    }

    private static FeatureColumn? Find(IEnumerable<FeatureColumn> columns, string name) =>
        columns.SingleOrDefault(c => c.Name == name);

    private static int[] AllRows(FeatureBatch batch) => [.. Enumerable.Range(0, batch.RowCount)];

    private static byte[] Write(EncodedBatch encoded, ColumnAllowlist? allowlist, out LeafRequestWriteResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        result = LeafRequestWriter.Write(buffer, Header, encoded, allowlist);
        return buffer.WrittenSpan.ToArray();
    }
}
