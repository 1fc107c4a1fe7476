using Arbor.Trimming.Tests.Support;
using Arbor.Trimming.Verification;

namespace Arbor.Trimming.Tests.Verification;

public sealed class ShadowReportTests : IDisposable
{
    private readonly TrimmerHarness _harness = new();

    public ShadowReportTests()
    {
        BundleFiles.Write(_harness.PathOf("ads.json"), BundleFiles.Document("ads", ("ads_ctr", "1", [("1", ["x"])])));
        _harness.Start(watch: false, "ads.json");
    }

    [Fact]
    public void ReportShadow_TalliesEachOutcomePerModelVersion_KeepsTheLastMismatchAndTheLargestDifference()
    {
        var trimmer = _harness.Trimmer;
        trimmer.ReportShadow("ads_ctr", "2", ShadowOutcome.Match);
        trimmer.ReportShadow("ads_ctr", "2", ShadowOutcome.Mismatch, 0.5, "r-1");
        _harness.Time.Advance(TimeSpan.FromSeconds(3));
        trimmer.ReportShadow("ads_ctr", "2", ShadowOutcome.Mismatch, 0.25, "r-2");
        trimmer.ReportShadow("ads_ctr", "2", ShadowOutcome.Failed);
        trimmer.ReportShadow("ads_ctr", "2", ShadowOutcome.Dropped);
        trimmer.ReportShadow("ads_ctr", "1", ShadowOutcome.Match);

        var shadow = trimmer.GetStatus().Shadow;

        Assert.Equal(["1", "2"], shadow.Select(s => s.Version));
        var v2 = shadow[1];
        Assert.Equal(("ads_ctr", 4L, 1L, 2L, 1L, 1L), (v2.Model, v2.Samples, v2.Matches, v2.Mismatches, v2.Failed, v2.Dropped));
        Assert.Equal("r-2", v2.LastMismatchRequestId);
        Assert.Equal(_harness.Time.GetUtcNow(), v2.LastMismatchAt);
        Assert.Equal(0.5, v2.MaxAbsDiff);
        var v1 = shadow[0];
        Assert.Equal((1L, 1L, 0L), (v1.Samples, v1.Matches, v1.Mismatches));
        Assert.Null(v1.LastMismatchRequestId);
    }

    [Fact]
    public void ReportShadow_NaNDifference_IsShownAsTheLargestPossible()
    {
        _harness.Trimmer.ReportShadow("ads_ctr", "1", ShadowOutcome.Mismatch, double.NaN, "r-nan");

        Assert.Equal(double.PositiveInfinity, Assert.Single(_harness.Trimmer.GetStatus().Shadow).MaxAbsDiff);
    }

    [Fact]
    public void GetStatus_NothingSampled_HasNoShadowEntries()
    {
        Assert.Empty(_harness.Trimmer.GetStatus().Shadow);
    }

    public void Dispose() => _harness.Dispose();
}
