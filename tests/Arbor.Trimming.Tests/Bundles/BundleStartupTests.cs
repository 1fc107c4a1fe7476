using Arbor.Trimming.Bundles;
using Arbor.Trimming.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Arbor.Trimming.Tests.Bundles;

public sealed class BundleStartupTests : IDisposable
{
    private readonly TrimmerHarness _harness = new();

    [Fact]
    public void Start_MissingBundle_StartsAndReportsItAndItsModelsGoUntrimmed()
    {
        BundleFiles.Write(_harness.PathOf("ads.json"), BundleFiles.Single("ads", "ads_ctr", "1", "x"));

        _harness.Start(watch: false, "homefeed.json", "ads.json");

        var status = _harness.Status("homefeed.json");
        Assert.Equal(BundleState.Failed, status.State);
        Assert.Contains("does not exist", status.LastError);
        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.reload_failures", "homefeed", "missing"));
        Assert.Contains(_harness.Logger.Entries, e => e.EventId == 4102 && e.Level == LogLevel.Error);
        Assert.False(_harness.Trimmer.GetHealth().IsHealthy);
        Assert.Contains("homefeed", _harness.Trimmer.GetHealth().Summary);
        Assert.Equal(["x"], _harness.AllowlistOf("ads_ctr"));
    }

    [Fact]
    public void Start_CorruptBundle_OtherBundlesStillLoad()
    {
        File.WriteAllText(_harness.PathOf("homefeed.json"), "{ \"schema\": \"arbor.bundle/v1\", \"bundle\": ");
        BundleFiles.Write(_harness.PathOf("ads.json"), BundleFiles.Single("ads", "ads_ctr", "1", "x"));

        _harness.Start(watch: false, "homefeed.json", "ads.json");

        Assert.Equal(BundleState.Failed, _harness.Status("homefeed.json").State);
        Assert.Equal(BundleState.Active, _harness.Status("ads.json").State);
        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.reload_failures", "homefeed", "invalid"));
        Assert.Equal(["x"], _harness.AllowlistOf("ads_ctr"));
    }

    [Fact]
    public void Start_InvalidDocument_ReportsEveryProblemWithItsPath()
    {
        var bytes = BundleFiles.Bytes(BundleFiles.Single("homefeed", "ctr", "1", "a"));
        File.WriteAllText(_harness.PathOf("homefeed.json"), System.Text.Encoding.UTF8.GetString(bytes).Replace("\"latest\": \"1\"", "\"latest\": \"9\"", StringComparison.Ordinal));

        _harness.Start(watch: false, "homefeed.json");

        Assert.Contains("latest", _harness.Status("homefeed.json").LastError);
        Assert.True(_harness.Trimmer.Snapshot.Lookup("ctr", null).IsPassThrough);
    }

    [Fact]
    public void Start_FailedBundleAppearsLater_LoadsAtTheNextRescan()
    {
        _harness.Start(watch: false, "homefeed.json");
        BundleFiles.Write(_harness.PathOf("homefeed.json"), BundleFiles.Single("homefeed", "ctr", "1", "a"));

        _harness.Time.Advance(TrimmerHarness.Rescan);

        Assert.Equal(BundleState.Active, _harness.Status("homefeed.json").State);
        Assert.Equal(["a"], _harness.AllowlistOf("ctr"));
        Assert.True(_harness.Trimmer.GetHealth().IsHealthy);
    }

    [Fact]
    public void Start_AllBundlesLoad_HealthyWithSizesInStatus()
    {
        BundleFiles.Write(_harness.PathOf("homefeed.json"), BundleFiles.Document(
            "homefeed", ("ctr", "2", [("1", ["a"]), ("2", ["a", "b", "c"])])));

        _harness.Start(watch: false, "homefeed.json");

        var status = _harness.Status("homefeed.json");
        Assert.Equal(BundleState.Active, status.State);
        Assert.Equal(BundleFiles.Sha256(File.ReadAllBytes(_harness.PathOf("homefeed.json"))), status.ContentHash);
        Assert.Equal(_harness.Time.GetUtcNow(), status.LastSuccessfulLoad);
        var model = Assert.Single(status.Models);
        Assert.Equal(("ctr", "2"), (model.Model, model.Latest));
        Assert.Equal([("1", 1), ("2", 3)], model.Versions.Select(v => (v.Version, v.Features)));
        Assert.True(_harness.Trimmer.GetHealth().IsHealthy);
    }

    public void Dispose() => _harness.Dispose();
}
