using Arbor.Leaf.Conversion;
using Arbor.Leaf.Diagnostics;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Native;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Signatures.Signatures;
using Arbor.Testing;


namespace Arbor.Leaf.Tests.Inference;

public sealed class DynamicBatcherTests(TestModelSet models)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Score_RequestsQueuedWhileBusy_RunAsOneForwardWithEachRequestsOwnScores()
    {
        using var torch = TorchModel.Load(models.Archive("ctr", "1"));
        var converter = new FeatureConverter(ModuleInfoParser.Parse(torch.SignatureJson));
        using var limiter = new InferenceLimiter(1);
        using var metrics = new LeafMetrics();
        using var merged = new LongMeasurements(metrics.Meter, "arbor.leaf.batch.requests");
        await using var runner = new ModelRunner("ctr", "1", torch, converter, limiter, new BatchingOptions(true, 1024), TimeProvider.System, metrics);
        var batches = ScoringCases.All.Select(c => converter.Convert(c.ToRequest("ctr"))).ToList();

        // Hold the only inference slot so that every request queues, then let them go together.
        var slot = await limiter.AcquireAsync(Ct);
        var pending = batches.Select(b => runner.ScoreAsync(b, null, Ct).AsTask()).ToList();
        slot.Dispose();
        var results = await Task.WhenAll(pending);

        Assert.Equal([(long)ScoringCases.All.Count], merged.Values);
        for (var i = 0; i < results.Length; i++)
        {
            // A different batch size may change the last bits of a matmul: equal within float rounding.
            var expected = models.Expected("ctr", "1", i);
            Assert.Equal(expected.Length, results[i].Scores.Count);
            for (var k = 0; k < expected.Length; k++)
            {
                Assert.Equal(expected[k], results[i].Scores[k], 1e-6f);
            }

            results[i].Dispose();
        }

        batches.ForEach(b => b.Dispose());
    }

    [Fact]
    public async Task Score_UnbatchedWhileOthersQueue_RunsInAForwardOfItsOwn_SameBitsAsAlone()
    {
        using var torch = TorchModel.Load(models.Archive("ctr", "1"));
        var converter = new FeatureConverter(ModuleInfoParser.Parse(torch.SignatureJson));
        using var limiter = new InferenceLimiter(1);
        using var metrics = new LeafMetrics();
        using var merged = new LongMeasurements(metrics.Meter, "arbor.leaf.batch.requests");
        await using var runner = new ModelRunner("ctr", "1", torch, converter, limiter, new BatchingOptions(true, 1024), TimeProvider.System, metrics);
        var batches = ScoringCases.All.Select(c => converter.Convert(c.ToRequest("ctr"))).ToList();
        using var alone = await runner.ScoreAsync(batches[0], null, Ct, unbatched: true);

        var slot = await limiter.AcquireAsync(Ct);
        var queued = batches.Skip(1).Select(b => runner.ScoreAsync(b, null, Ct).AsTask()).ToList();
        var unbatched = runner.ScoreAsync(batches[0], null, Ct, unbatched: true).AsTask();
        slot.Dispose();
        using var shadow = await unbatched;
        foreach (var result in await Task.WhenAll(queued))
        {
            result.Dispose();
        }

        // The first forward ran alone; then the queued requests merged into one, the unbatched one ran by itself.
        Assert.Equal([1L, 1L, ScoringCases.All.Count - 1L], merged.Values.Order());
        Assert.Equal(alone.Scores.Select(BitConverter.SingleToInt32Bits), shadow.Scores.Select(BitConverter.SingleToInt32Bits));
        batches.ForEach(b => b.Dispose());
    }

    [Fact]
    public async Task Score_OneBadRequestInABatch_FailsAloneAndTheOthersAreScored()
    {
        using var torch = TorchModel.Load(models.Archive("raw_ids", "1"));
        var converter = new FeatureConverter(ModuleInfoParser.Parse(torch.SignatureJson));
        using var limiter = new InferenceLimiter(1);
        using var metrics = new LeafMetrics();
        await using var runner = new ModelRunner("raw_ids", "1", torch, converter, limiter, new BatchingOptions(true, 1024), TimeProvider.System, metrics);
        using var good = converter.Convert(ScoringCases.All[0].ToRequest("raw_ids"));
        using var bad = converter.Convert(new ScoringCase(1, [new CaseFeature("ids", [new long[] { 5_000_000 }], [])]).ToRequest("raw_ids"));

        var slot = await limiter.AcquireAsync(Ct);
        var first = runner.ScoreAsync(good, null, Ct).AsTask();
        var second = runner.ScoreAsync(bad, null, Ct).AsTask();
        slot.Dispose();

        using var scores = await first;
        await Assert.ThrowsAsync<InferenceFailedException>(() => second);
        Assert.Equal(6, scores.Scores.Count);
    }

    [Fact]
    public async Task Score_DeadlinePassedWhileQueued_IsSkipped()
    {
        using var torch = TorchModel.Load(models.Archive("ctr", "1"));
        var converter = new FeatureConverter(ModuleInfoParser.Parse(torch.SignatureJson));
        using var limiter = new InferenceLimiter(1);
        using var metrics = new LeafMetrics();
        var time = new ManualTimeProvider();
        await using var runner = new ModelRunner("ctr", "1", torch, converter, limiter, new BatchingOptions(true, 1024), time, metrics);
        using var batch = converter.Convert(ScoringCases.All[0].ToRequest("ctr"));

        var slot = await limiter.AcquireAsync(Ct);
        var late = runner.ScoreAsync(batch, time.GetUtcNow() + TimeSpan.FromMilliseconds(5), Ct).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(10));
        slot.Dispose();

        await Assert.ThrowsAsync<DeadlineExceededException>(() => late);
    }
}
