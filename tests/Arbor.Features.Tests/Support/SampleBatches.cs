using Arbor.Features.Batches;

namespace Arbor.Features.Tests.Support;

/// <summary>Small hand-written batches with every column kind.</summary>
public static class SampleBatches
{
    /// <summary>Three rows; row 1 is missing in some columns; two shared columns.</summary>
    public static FeatureBatch EveryKind()
    {
        var missingRow1 = MissingBitmap.Create(3);
        MissingBitmap.Set(missingRow1, 1);
        return new FeatureBatch(3)
            .Add(new FloatBatchColumn("pin_ctr_7d", [0.5f, 0f, -2.25f], missingRow1))
            .Add(new Int64BatchColumn("pin_age_days", [1, -7, long.MaxValue]))
            .Add(new FloatVectorBatchColumn("pin_embedding", 2, [1f, 2f, 3f, 4f, 5f, 6f]))
            .Add(new Int64ListBatchColumn("pin_topic_ids", [2, 0, 1], [10, 300, -1], missingRow1))
            .Add(new StringBatchColumn("pin_language", ["en", "", "fr-é"], missingRow1))
            .Add(new BytesBatchColumn("pin_hash", [new byte[] { 1, 2 }, Array.Empty<byte>(), new byte[] { 255 }]))
            .AddShared(new FloatBatchColumn("user_age_days", [365f]))
            .AddShared(new Int64ListBatchColumn("user_interest_ids", [3], [7, 8, 9]));
    }
}
