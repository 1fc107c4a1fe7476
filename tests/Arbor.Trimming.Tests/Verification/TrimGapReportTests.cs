using Arbor.Features.Selection;
using Arbor.Trimming.Tests.Support;

namespace Arbor.Trimming.Tests.Verification;

public sealed class TrimGapReportTests : IDisposable
{
    private readonly TrimmerHarness _harness = new();

    public TrimGapReportTests()
    {
        BundleFiles.Write(_harness.PathOf("ads.json"), BundleFiles.Document("ads", ("ads_ctr", "1", [("1", ["x"])])));
        _harness.Start(watch: false, "ads.json");
    }

    [Fact]
    public void ReportGap_MarksTheAllowlistStale_CountsEveryRefusal_LogsTheFirst()
    {
        var trimmer = _harness.Trimmer;
        var decision = trimmer.Lookup("ads_ctr", null);
        _harness.Time.Advance(TimeSpan.FromSeconds(1));

        trimmer.ReportGap(decision, "model 'ads_ctr' version '2' uses features the request was trimmed without: y");
        trimmer.ReportGap(decision, "model 'ads_ctr' version '2' uses features the request was trimmed without: y");

        var gap = Assert.Single(trimmer.GetStatus().Gaps);
        Assert.Equal(("ads_ctr", "1", decision.Allowlist!.Sha256, 2L), (gap.Model, gap.AllowlistVersion, gap.AllowlistSha256, gap.Refusals));
        Assert.True(gap.Stale);
        Assert.EndsWith(": y", gap.LastDetail, StringComparison.Ordinal);
        Assert.Equal(2, _harness.Metrics.Sum("arbor.trimmer.gaps", "ads_ctr", "1"));
        Assert.Equal(1, _harness.Logger.Count(4109));
        var health = trimmer.GetHealth();
        Assert.False(health.IsHealthy);
        Assert.Contains("stale allowlists", health.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportGap_ThenANewSnapshot_IsNoLongerStale()
    {
        var trimmer = _harness.Trimmer;
        trimmer.ReportGap(trimmer.Lookup("ads_ctr", null), "version '2' needs y");
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        BundleFiles.Write(_harness.PathOf("ads.json"), BundleFiles.Document("ads", ("ads_ctr", "2", [("1", ["x"]), ("2", ["x", "y"])])));

        trimmer.Rescan();

        Assert.False(Assert.Single(trimmer.GetStatus().Gaps).Stale);
        Assert.True(trimmer.GetHealth().IsHealthy);
    }

    [Fact]
    public void ReportGap_OfACallTrimmedBeforeANewSnapshot_RefusedAfterIt_DoesNotMakeTheReplacedAllowlistStale()
    {
        var trimmer = _harness.Trimmer;
        var inFlight = trimmer.Lookup("ads_ctr", null);
        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        BundleFiles.Write(_harness.PathOf("ads.json"), BundleFiles.Document("ads", ("ads_ctr", "2", [("1", ["x"]), ("2", ["x", "y"])])));
        trimmer.Rescan();
        _harness.Time.Advance(TimeSpan.FromSeconds(1));

        trimmer.ReportGap(inFlight, "version '2' needs y"); // the leaf's answer arrives after the swap
        var replaced = Assert.Single(trimmer.GetStatus().Gaps);
        trimmer.ReportGap(trimmer.Lookup("ads_ctr", "1"), "version '2' needs y"); // v1's allowlist asked for by name is still in force

        Assert.False(replaced.Stale);
        Assert.True(Assert.Single(trimmer.GetStatus().Gaps).Stale);
    }

    [Fact]
    public void ReportGap_PassThrough_IsIgnored()
    {
        _harness.Trimmer.ReportGap(TrimDecision.PassThrough("ads_ctr"), "untrimmed calls have no gap");

        Assert.Empty(_harness.Trimmer.GetStatus().Gaps);
    }

    public void Dispose() => _harness.Dispose();
}
