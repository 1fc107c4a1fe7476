using Arbor.Rpc.Compression;

namespace Arbor.Rpc.Tests.Compression;

public sealed class CompressionYieldTests
{
    [Fact]
    public void BeforeAnyMessage_TheCodecIsUsed()
    {
        var yield = new CompressionYield();

        Assert.True(double.IsNaN(yield.Ratio));
        Assert.Equal(CompressionDecision.Compress, yield.Decide(0.5));
    }

    [Fact]
    public void Ratio_IsTheMovingMeanOfCompressedOverUncompressed()
    {
        var yield = new CompressionYield();

        yield.Observe(1000, 900);
        Assert.Equal(0.9, yield.Ratio, 12);
        yield.Observe(1000, 100);
        Assert.Equal(0.9 + (CompressionYield.Weight * (0.1 - 0.9)), yield.Ratio, 12);
        yield.Observe(0, 50); // an empty message says nothing
        Assert.Equal(0.9 + (CompressionYield.Weight * (0.1 - 0.9)), yield.Ratio, 12);
    }

    [Fact]
    public void SavingBelowTheMinimum_Skips_ButEveryProbeIntervalthCallCompresses()
    {
        var yield = new CompressionYield();
        yield.Observe(1000, 970); // saves 3%

        var decisions = Enumerable.Range(0, 3 * CompressionYield.ProbeInterval).Select(_ => yield.Decide(0.06)).ToList();

        Assert.Equal(3, decisions.Count(d => d == CompressionDecision.Probe));
        Assert.DoesNotContain(CompressionDecision.Compress, decisions);
        Assert.All(
            decisions.Select((decision, i) => (decision, i)).Where(p => p.decision == CompressionDecision.Probe),
            p => Assert.Equal(CompressionYield.ProbeInterval - 1, p.i % CompressionYield.ProbeInterval));
    }

    [Fact]
    public void SavingAtOrAboveTheMinimum_OrNoMinimum_Compresses()
    {
        var yield = new CompressionYield();
        yield.Observe(1000, 940); // saves 6%

        Assert.Equal(CompressionDecision.Compress, yield.Decide(0.06));
        Assert.Equal(CompressionDecision.Compress, yield.Decide(0.05));
        Assert.Equal(CompressionDecision.Skip, yield.Decide(0.07));
        Assert.Equal(CompressionDecision.Compress, yield.Decide(0));
    }

    [Fact]
    public void DataThatCompressesBetterAgain_ResumesCompressionAfterProbesMeasureIt()
    {
        var yield = new CompressionYield();
        yield.Observe(1000, 990);
        var calls = 0;
        var resumedAfter = -1;
        while (calls < 100 * CompressionYield.ProbeInterval && resumedAfter < 0)
        {
            calls++;
            switch (yield.Decide(0.1))
            {
                case CompressionDecision.Probe:
                    yield.Observe(1000, 200); // the probe finds the data compresses to 20% now
                    break;
                case CompressionDecision.Compress:
                    resumedAfter = calls;
                    break;
            }
        }

        Assert.True(resumedAfter > 0, "compression never resumed");
        Assert.True(yield.Ratio <= 0.9, $"ratio {yield.Ratio}");
        // Each probe moves the ratio Weight of the way to 0.2; the call after the probe that brings it to 0.9 compresses.
        var probes = 0;
        for (var ratio = 0.99; ratio > 0.9; ratio += CompressionYield.Weight * (0.2 - ratio))
        {
            probes++;
        }

        Assert.Equal((probes * CompressionYield.ProbeInterval) + 1, resumedAfter);
    }
}
