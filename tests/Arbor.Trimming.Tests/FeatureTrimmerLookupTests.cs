using System.Buffers;
using Arbor.Features.Batches;
using Arbor.Features.Requests;
using Arbor.Features.Wire;
using Arbor.Trimming.Tests.Support;

namespace Arbor.Trimming.Tests;

public sealed class FeatureTrimmerLookupTests : IDisposable
{
    private readonly TrimmerHarness _harness = new();

    public FeatureTrimmerLookupTests()
    {
        BundleFiles.Write(_harness.PathOf("ads.json"), BundleFiles.Document(
            "ads",
            ("ads_ctr", "2", [("1", ["x"]), ("2", ["x", "y"])])));
        _harness.Start(watch: false, "ads.json");
    }

    [Fact]
    public void Lookup_EveryOutcome_IsCountedByModel()
    {
        var trimmer = _harness.Trimmer;

        trimmer.Lookup("ads_ctr", "1");
        trimmer.Lookup("ads_ctr", null);
        trimmer.Lookup("ads_ctr", "9");
        trimmer.Lookup("ads_ctr", "9");
        trimmer.Lookup("other", "1");

        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.lookups", "ads_ctr", "exact"));
        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.lookups", "ads_ctr", "latest_unspecified"));
        Assert.Equal(2, _harness.Metrics.Sum("arbor.trimmer.lookups", "ads_ctr", "latest_fallback"));
        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.lookups", "other", "unknown_model"));
    }

    [Fact]
    public void Lookup_AllocatesNothing_WithMetricsListening()
    {
        using var harness = new TrimmerHarness(countMetricsOnly: true);
        BundleFiles.Write(harness.PathOf("ads.json"), BundleFiles.Document("ads", ("ads_ctr", "2", [("1", ["x"]), ("2", ["x", "y"])])));
        var trimmer = harness.Start(watch: false, "ads.json");
        var snapshot = trimmer.Snapshot;
        for (var i = 0; i < 100; i++)
        {
            trimmer.Lookup(snapshot, "ads_ctr", "1");
            trimmer.Lookup(snapshot, "ads_ctr", null);
            trimmer.Lookup(snapshot, "ads_ctr", "9");
            trimmer.Lookup(snapshot, "other", null);
        }

        // The least of several runs: a one-off allocation on this thread (the runtime's own, while it
        // recompiles a hot method) is not a per-lookup one, and does not repeat in every run.
        var allocated = long.MaxValue;
        for (var run = 0; run < 5; run++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                trimmer.Lookup(snapshot, "ads_ctr", "1");
                trimmer.Lookup(snapshot, "ads_ctr", null);
                trimmer.Lookup(snapshot, "ads_ctr", "9");
                trimmer.Lookup(snapshot, "other", null);
            }

            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, allocated);
        Assert.True(harness.Metrics.Measurements >= 200_400, "The lookups were not measured.");
    }

    [Fact]
    public void Write_TrimmedRequest_CountsFeaturesAndBytesRemoved()
    {
        var batch = new FeatureBatch(2)
            .Add(new FloatBatchColumn("x", [1f, 2f]))
            .Add(new FloatBatchColumn("y", [3f, 4f]))
            .Add(new FloatBatchColumn("unused", [5f, 6f]));
        using var encoded = FeatureBatchEncoder.Encode(batch);
        var decision = _harness.Trimmer.Lookup("ads_ctr", null);
        var buffer = new ArrayBufferWriter<byte>();

        var result = _harness.Trimmer.Write(buffer, new LeafRequestHeader("ads_ctr"), encoded, decision);

        Assert.Equal(1, result.ColumnsRemoved);
        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.features_removed", "ads_ctr"));
        Assert.Equal(result.BytesRemoved, _harness.Metrics.Sum("arbor.trimmer.bytes_removed", "ads_ctr"));
        Assert.Equal(buffer.WrittenCount, _harness.Metrics.Sum("arbor.trimmer.bytes_sent", "ads_ctr"));
    }

    [Fact]
    public void Write_PassThrough_RemovesNothing()
    {
        var batch = new FeatureBatch(1).Add(new FloatBatchColumn("x", [1f])).Add(new FloatBatchColumn("z", [1f]));
        using var encoded = FeatureBatchEncoder.Encode(batch);
        var decision = _harness.Trimmer.Lookup("unknown", null);

        var result = _harness.Trimmer.Write(new ArrayBufferWriter<byte>(), new LeafRequestHeader("unknown"), encoded, decision);

        Assert.Equal((2, 0), (result.ColumnsWritten, result.ColumnsRemoved));
        Assert.Equal(0, _harness.Metrics.Sum("arbor.trimmer.features_removed", "unknown"));
    }

    public void Dispose() => _harness.Dispose();
}
