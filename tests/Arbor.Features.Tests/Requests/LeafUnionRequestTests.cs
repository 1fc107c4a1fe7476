using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Tests.Support;
using Arbor.Features.Wire;
using Google.Protobuf;

namespace Arbor.Features.Tests.Requests;

public sealed class LeafUnionRequestTests
{
    private const string RequestId = "req-42";

    private static readonly TrimDecision Ctr = Trimmed("homefeed_ctr", ["pin_ctr_7d", "pin_embedding", "user_age_days", "not_in_batch"]);
    private static readonly TrimDecision Save = Trimmed("homefeed_save", ["pin_embedding", "pin_topic_ids", "user_age_days", "user_interest_ids"]);

    [Fact]
    public void Write_OverlappingAllowlists_CarriesTheirUnionOnceInBatchOrder()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var union = new LeafUnionRequest(encoded, [new("homefeed_ctr", "7", Ctr), new("homefeed_save", null, Save)], RequestId);

        var parsed = Parse(union, out var bytes);

        Assert.Equal(["pin_ctr_7d", "pin_embedding", "pin_topic_ids"], parsed.Columns.Select(c => c.Name));
        Assert.Equal(["user_age_days", "user_interest_ids"], parsed.SharedColumns.Select(c => c.Name));
        Assert.Equal((3u, RequestId, false), (parsed.RowCount, parsed.RequestId, parsed.Unbatched));
        Assert.Equal(5, union.UnionColumns);
        Assert.Equal(bytes.Length, union.MessageBytes);
        Assert.Equal(parsed.ToByteArray(), bytes);
    }

    [Fact]
    public void Write_EachModelsEntry_NamesTheColumnsAndTrimmedForOfItsOwnScoreRequest()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        LeafUnionEntry[] models = [new("homefeed_ctr", "7", Ctr), new("homefeed_save", null, Save), new("homefeed_raw", "2", TrimDecision.PassThrough("homefeed_raw"))];

        var parsed = Parse(new LeafUnionRequest(encoded, models, RequestId), out _);

        Assert.Equal(models.Length, parsed.Models.Count);
        for (var m = 0; m < models.Length; m++)
        {
            var own = Single(encoded, models[m]);
            var entry = parsed.Models[m];
            Assert.Equal((own.Model, own.Version), (entry.Model, entry.Version));
            Assert.Equal(own.TrimmedFor, entry.TrimmedFor);
            Assert.Equal(own.Columns, entry.Columns.Select(i => parsed.Columns[(int)i]));
            Assert.Equal(own.SharedColumns, entry.SharedColumns.Select(i => parsed.SharedColumns[(int)i]));
        }

        Assert.Equal(encoded.ColumnCount, parsed.Columns.Count + parsed.SharedColumns.Count);
    }

    [Fact]
    public void ModelResults_TrimCountsAreEachModelsOwn_BytesAndValuesAreSharesAddingUpToTheMessage()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        LeafUnionEntry[] models = [new("homefeed_ctr", "7", Ctr), new("homefeed_save", null, Save)];
        var union = new LeafUnionRequest(encoded, models, RequestId);

        var parsed = Parse(union, out var bytes);

        long valueBytes = 0;
        foreach (var column in encoded.Columns)
        {
            valueBytes += parsed.Columns.Concat(parsed.SharedColumns).Any(c => c.Name == column.Name) ? column.ValueBytes : 0;
        }

        var results = union.ModelResults.ToArray();
        Assert.Equal(bytes.Length, results.Sum(r => r.MessageBytes));
        Assert.Equal(valueBytes, results.Sum(r => r.ValueBytes));
        Assert.Equal(valueBytes, union.ValueBytes);
        Assert.All(results, r => Assert.True(r.MessageBytes > 0 && r.ValueBytes > 0));
        for (var m = 0; m < models.Length; m++)
        {
            var own = LeafRequestWriter.Write(new ArrayBufferWriter<byte>(), new LeafRequestHeader(models[m].Model, models[m].Version, RequestId), encoded, models[m].Decision);
            Assert.Equal((own.ColumnsWritten, own.ColumnsRemoved, own.BytesRemoved, own.AllowlistedAbsent), (results[m].ColumnsWritten, results[m].ColumnsRemoved, results[m].BytesRemoved, results[m].AllowlistedAbsent));
        }
    }

    [Fact]
    public void MessageBytes_OverlappingAllowlists_IsBelowThePerModelRequestsTogether()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        LeafUnionEntry[] models = [new("homefeed_ctr", "7", Ctr), new("homefeed_save", null, Save)];

        var union = new LeafUnionRequest(encoded, models, RequestId);

        var perModel = models.Sum(m => LeafRequestWriter.Measure(new LeafRequestHeader(m.Model, m.Version, RequestId), encoded, m.Decision));
        encoded.TryFind("pin_embedding", out var shared1);
        encoded.TryFind("user_age_days", out var shared2);
        // The columns both allowlists name are sent once, and row_count and request_id once (10 B); each
        // model's entry framing and column indexes cost a few bytes (under 16 B a model here).
        var both = shared1.Length + shared2.Length;
        Assert.InRange(perModel - union.MessageBytes, both - 32, both + 10);
    }

    [Fact]
    public void Write_Unbatched_SetsTheFlagAndCountsIt()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var union = new LeafUnionRequest(encoded, [new("homefeed_ctr", "7", Ctr)], requestId: null, unbatched: true);

        var parsed = Parse(union, out var bytes);

        Assert.True(parsed.Unbatched);
        Assert.Equal("", parsed.RequestId);
        Assert.Equal(bytes.Length, union.MessageBytes);
    }

    [Fact]
    public void Write_IntoSmallSegments_ProducesTheSameBytes()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());
        var union = new LeafUnionRequest(encoded, [new("homefeed_ctr", "7", Ctr), new("homefeed_save", null, Save)], RequestId);
        var segmented = new SmallSegmentBufferWriter(segmentSize: 7);

        union.Write(segmented);

        Parse(union, out var whole);
        Assert.Equal(whole, segmented.ToArray());
    }

    [Fact]
    public void Constructor_NoModelsOrAnUnnamedOne_Throws()
    {
        using var encoded = FeatureBatchEncoder.Encode(SampleBatches.EveryKind());

        Assert.Throws<ArgumentOutOfRangeException>(() => new LeafUnionRequest(encoded, []));
        Assert.Throws<ArgumentException>(() => new LeafUnionRequest(encoded, [new("", null, Ctr)]));
    }

    private static TrimDecision Trimmed(string model, string[] features) => new(model, TrimOutcome.Exact, "7", new ColumnAllowlist(features));

    private static LeafScoreRequest Single(EncodedBatch encoded, LeafUnionEntry model)
    {
        var buffer = new ArrayBufferWriter<byte>();
        LeafRequestWriter.Write(buffer, new LeafRequestHeader(model.Model, model.Version, RequestId), encoded, model.Decision);
        return LeafScoreRequest.Parser.ParseFrom(buffer.WrittenSpan.ToArray());
    }

    private static LeafUnionScoreRequest Parse(LeafUnionRequest union, out byte[] bytes)
    {
        var buffer = new ArrayBufferWriter<byte>();
        union.Write(buffer);
        bytes = buffer.WrittenSpan.ToArray();
        return LeafUnionScoreRequest.Parser.ParseFrom(bytes);
    }
}
