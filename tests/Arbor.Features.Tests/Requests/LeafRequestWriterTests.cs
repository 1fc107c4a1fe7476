using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Tests.Support;
using Arbor.Features.Wire;
using Google.Protobuf;

namespace Arbor.Features.Tests.Requests;

public sealed class LeafRequestWriterTests
{
    private static readonly LeafRequestHeader Header = new("homefeed_ctr", "7", "req-42");

    [Fact]
    public void Write_Untrimmed_CarriesTheHeaderAndEveryColumn()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());

        var parsed = Parse(encoded, allowlist: null, out var result);

        Assert.Equal(("homefeed_ctr", "7", "req-42", 3u), (parsed.Model, parsed.Version, parsed.RequestId, parsed.RowCount));
        Assert.Equal(6, parsed.Columns.Count);
        Assert.Equal(2, parsed.SharedColumns.Count);
        Assert.Equal((8, 0, 0L, 0), (result.ColumnsWritten, result.ColumnsRemoved, result.BytesRemoved, result.AllowlistedAbsent));
    }

    [Fact]
    public void Write_Trimmed_KeepsOnlyAllowlistedColumnsInBatchOrder()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var allowlist = new ColumnAllowlist(["user_age_days", "pin_topic_ids", "pin_ctr_7d"]);

        var parsed = Parse(encoded, allowlist, out _);

        Assert.Equal(["pin_ctr_7d", "pin_topic_ids"], parsed.Columns.Select(c => c.Name));
        Assert.Equal(["user_age_days"], parsed.SharedColumns.Select(c => c.Name));
    }

    [Fact]
    public void Write_Trimmed_ReportsRemovedColumnsAndBytes()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var untrimmed = Bytes(encoded, null, out _);

        var trimmed = Bytes(encoded, new ColumnAllowlist(["pin_embedding", "user_interest_ids"]), out var result);

        Assert.Equal(2, result.ColumnsWritten);
        Assert.Equal(6, result.ColumnsRemoved);
        Assert.Equal(untrimmed.Length - trimmed.Length, result.BytesRemoved);
        Assert.Equal(trimmed.Length, result.MessageBytes);
    }

    [Fact]
    public void Write_AllowlistNamesFeaturesTheBatchLacks_CountsThemAbsent()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());

        Parse(encoded, new ColumnAllowlist(["pin_ctr_7d", "gone_1", "gone_2"]), out var result);

        Assert.Equal(2, result.AllowlistedAbsent);
    }

    [Fact]
    public void Write_PassThroughDecision_WritesEveryColumn()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var buffer = new ArrayBufferWriter<byte>();

        var result = LeafRequestWriter.Write(buffer, Header, encoded, TrimDecision.PassThrough("homefeed_ctr"));

        Assert.Equal(encoded.ColumnCount, result.ColumnsWritten);
    }

    [Fact]
    public void Write_TrimDecision_UsesItsAllowlist()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var decision = new TrimDecision("homefeed_ctr", TrimOutcome.Exact, "7", new ColumnAllowlist(["pin_hash"]));
        var buffer = new ArrayBufferWriter<byte>();

        var result = LeafRequestWriter.Write(buffer, Header, encoded, decision);

        Assert.Equal(["pin_hash"], LeafScoreRequest.Parser.ParseFrom(buffer.WrittenSpan.ToArray()).Columns.Select(c => c.Name));
        Assert.Equal(1, result.ColumnsWritten);
    }

    [Fact]
    public void Write_TrimDecision_SaysWhichAllowlistItWasTrimmedFor()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var allowlist = new ColumnAllowlist(["pin_hash", "user_age_days", "not_in_batch_b", "not_in_batch_a"]);
        var decision = new TrimDecision("homefeed_ctr", TrimOutcome.LatestFallback, "7", allowlist);
        var buffer = new ArrayBufferWriter<byte>();

        var result = LeafRequestWriter.Write(buffer, Header, encoded, decision);

        var parsed = LeafScoreRequest.Parser.ParseFrom(buffer.WrittenSpan.ToArray());
        var expected = new TrimmedFor { Model = "homefeed_ctr", Version = "7", AllowlistSha256 = allowlist.Sha256, AbsentFeatures = { "not_in_batch_a", "not_in_batch_b" } };
        Assert.Equal(expected, parsed.TrimmedFor);
        Assert.Equal(2, result.AllowlistedAbsent);
        Assert.Equal(parsed.ToByteArray(), buffer.WrittenSpan.ToArray());
        Assert.Equal(buffer.WrittenCount, result.MessageBytes);
        Assert.Equal(buffer.WrittenCount, LeafRequestWriter.Measure(Header, encoded, decision));
    }

    [Fact]
    public void Write_PassThroughDecision_HasNoTrimmedFor()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var buffer = new ArrayBufferWriter<byte>();

        LeafRequestWriter.Write(buffer, Header, encoded, TrimDecision.PassThrough("homefeed_ctr"));

        Assert.Null(LeafScoreRequest.Parser.ParseFrom(buffer.WrittenSpan.ToArray()).TrimmedFor);
        Assert.Equal(buffer.WrittenCount, LeafRequestWriter.Measure(Header, encoded, TrimDecision.PassThrough("homefeed_ctr")));
    }

    [Fact]
    public void Measure_EqualsTheWrittenLength()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var allowlist = new ColumnAllowlist(["pin_ctr_7d", "user_age_days"]);

        Assert.Equal(Bytes(encoded, allowlist, out _).Length, LeafRequestWriter.Measure(Header, encoded, allowlist));
        Assert.Equal(Bytes(encoded, null, out _).Length, LeafRequestWriter.Measure(Header, encoded, null));
    }

    [Fact]
    public void Write_NoVersionNoRequestId_OmitsThoseFields()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var buffer = new ArrayBufferWriter<byte>();

        LeafRequestWriter.Write(buffer, new LeafRequestHeader("m"), encoded, allowlist: null);
        var parsed = LeafScoreRequest.Parser.ParseFrom(buffer.WrittenSpan.ToArray());

        Assert.Equal(("m", "", ""), (parsed.Model, parsed.Version, parsed.RequestId));
        Assert.Equal(LeafRequestWriter.Measure(new LeafRequestHeader("m"), encoded, null), buffer.WrittenCount);
    }

    [Fact]
    public void Write_IntoSmallSegments_ProducesTheSameBytes()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var segmented = new SmallSegmentBufferWriter(segmentSize: 7);

        LeafRequestWriter.Write(segmented, Header, encoded, allowlist: null);

        Assert.Equal(Bytes(encoded, null, out _), segmented.ToArray());
    }

    [Fact]
    public void Write_EmptyModel_Throws()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());

        Assert.Throws<ArgumentException>(() => LeafRequestWriter.Write(new ArrayBufferWriter<byte>(), new LeafRequestHeader(""), encoded, allowlist: null));
    }

    private static LeafScoreRequest Parse(EncodedBatch encoded, ColumnAllowlist? allowlist, out LeafRequestWriteResult result) =>
        LeafScoreRequest.Parser.ParseFrom(Bytes(encoded, allowlist, out result));

    private static byte[] Bytes(EncodedBatch encoded, ColumnAllowlist? allowlist, out LeafRequestWriteResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        result = LeafRequestWriter.Write(buffer, Header, encoded, allowlist);
        return buffer.WrittenSpan.ToArray();
    }
}
