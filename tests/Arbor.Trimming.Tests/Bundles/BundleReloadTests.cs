using Arbor.Trimming.Bundles;
using Arbor.Trimming.Tests.Support;

namespace Arbor.Trimming.Tests.Bundles;

/// <summary>
/// Reload behaviour driven by signals (what the file watcher raises) and the periodic rescan, on real
/// files, with time moved by hand. The watcher itself is covered by <c>BundleFileWatchingTests</c>.
/// </summary>
public sealed class BundleReloadTests : IDisposable
{
    private readonly TrimmerHarness _harness = new();
    private readonly string _homefeed;
    private readonly string _ads;

    public BundleReloadTests()
    {
        _homefeed = _harness.PathOf("homefeed.json");
        _ads = _harness.PathOf("ads.json");
        BundleFiles.Write(_homefeed, BundleFiles.Single("homefeed", "ctr", "1", "a", "b"));
        BundleFiles.Write(_ads, BundleFiles.Single("ads", "ads_ctr", "1", "x"));
        _harness.Start(watch: false, "homefeed.json", "ads.json");
    }

    [Fact]
    public void Signal_ThenDebounce_ReloadsNewContent()
    {
        BundleFiles.Write(_homefeed, BundleFiles.Single("homefeed", "ctr", "2", "a", "c"));

        Signal(_homefeed);
        _harness.Time.Advance(TrimmerHarness.Debounce - TimeSpan.FromTicks(1));
        Assert.Equal(["a", "b"], _harness.AllowlistOf("ctr"));
        _harness.Time.Advance(TimeSpan.FromTicks(1));

        Assert.Equal(["a", "c"], _harness.AllowlistOf("ctr"));
        Assert.Equal(2, _harness.Metrics.Sum("arbor.trimmer.reloads", "homefeed", "loaded"));
    }

    [Fact]
    public void Reload_InvalidContent_KeepsThePreviousMapAndReportsStaleness()
    {
        var generation = _harness.Trimmer.Snapshot.Generation;
        File.WriteAllText(_homefeed, "not json");

        Signal(_homefeed);
        _harness.Time.Advance(TrimmerHarness.Debounce);
        _harness.Time.Advance(TimeSpan.FromSeconds(20));

        var status = _harness.Status("homefeed.json");
        Assert.Equal(BundleState.Stale, status.State);
        Assert.NotNull(status.LastError);
        Assert.Equal(20, status.StalenessSeconds);
        Assert.Equal(["a", "b"], _harness.AllowlistOf("ctr"));
        Assert.Equal(generation, _harness.Trimmer.Snapshot.Generation);
        _harness.Metrics.Collect();
        Assert.Equal(20, _harness.Metrics.Last("arbor.trimmer.bundle.staleness", "homefeed"));
        Assert.Equal(0, _harness.Metrics.Last("arbor.trimmer.bundle.active", "homefeed"));
        Assert.Equal(0, _harness.Metrics.Last("arbor.trimmer.bundle.staleness", "ads"));
        Assert.Contains(_harness.Logger.Entries, e => e.EventId == 4103);
    }

    [Fact]
    public void Reload_OneBundleBroken_OtherBundlesStillReload()
    {
        File.WriteAllText(_homefeed, "{");
        BundleFiles.Write(_ads, BundleFiles.Single("ads", "ads_ctr", "2", "x", "y"));

        Signal(_homefeed);
        Signal(_ads);
        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(["a", "b"], _harness.AllowlistOf("ctr"));
        Assert.Equal(["x", "y"], _harness.AllowlistOf("ads_ctr"));
        Assert.Equal(BundleState.Stale, _harness.Status("homefeed.json").State);
        Assert.Equal(BundleState.Active, _harness.Status("ads.json").State);
    }

    [Fact]
    public void Reload_PartiallyWrittenFile_NeverBecomesActive()
    {
        var complete = BundleFiles.Bytes(BundleFiles.Single("homefeed", "ctr", "2", "a", "z"));
        for (var cut = 1; cut < complete.Length; cut += Math.Max(1, complete.Length / 23))
        {
            // An in-place write caught mid-way: every proper prefix of the new file.
            File.WriteAllBytes(_homefeed, complete[..cut]);
            Signal(_homefeed);
            _harness.Time.Advance(TrimmerHarness.Debounce);

            Assert.Equal(["a", "b"], _harness.AllowlistOf("ctr"));
        }

        File.WriteAllBytes(_homefeed, complete);
        Signal(_homefeed);
        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(["a", "z"], _harness.AllowlistOf("ctr"));
        Assert.Equal(BundleState.Active, _harness.Status("homefeed.json").State);
    }

    [Fact]
    public void Reload_DeletedThenRecreated_KeepsTheMapThenLoadsTheNewFile()
    {
        File.Delete(_homefeed);
        Signal(_homefeed);
        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(BundleState.Stale, _harness.Status("homefeed.json").State);
        Assert.Equal(["a", "b"], _harness.AllowlistOf("ctr"));

        BundleFiles.Write(_homefeed, BundleFiles.Single("homefeed", "ctr", "3", "q"));
        Signal(_homefeed);
        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(BundleState.Active, _harness.Status("homefeed.json").State);
        Assert.Equal(["q"], _harness.AllowlistOf("ctr"));
        Assert.Null(_harness.Status("homefeed.json").LastError);
    }

    [Fact]
    public void Reload_DeletedThenRestoredUnchanged_BecomesActiveWithoutRepublishing()
    {
        var bytes = File.ReadAllBytes(_homefeed);
        File.Delete(_homefeed);
        Signal(_homefeed);
        _harness.Time.Advance(TrimmerHarness.Debounce);
        var generation = _harness.Trimmer.Snapshot.Generation;

        File.WriteAllBytes(_homefeed, bytes);
        Signal(_homefeed);
        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(BundleState.Active, _harness.Status("homefeed.json").State);
        Assert.Equal(generation, _harness.Trimmer.Snapshot.Generation);
    }

    [Fact]
    public void Signal_Burst_ReloadsOnceWithTheLastWrite()
    {
        var loadedBefore = _harness.Metrics.Sum("arbor.trimmer.reloads", "homefeed", "loaded");
        for (var i = 0; i < 4; i++)
        {
            BundleFiles.Write(_homefeed, BundleFiles.Single("homefeed", "ctr", "1", $"burst_{i}"));
            Signal(_homefeed);
            _harness.Time.Advance(TimeSpan.FromMilliseconds(50));
        }

        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(["burst_3"], _harness.AllowlistOf("ctr"));
        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.reloads", "homefeed", "loaded") - loadedBefore);
    }

    [Fact]
    public void Signal_ContinuousEvents_ReloadWithinTheMaximumDelay()
    {
        var loadedBefore = _harness.Metrics.Sum("arbor.trimmer.reloads", "homefeed", "loaded");
        var elapsed = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(100);
        var i = 0;
        while (elapsed < TrimmerHarness.MaxDebounceDelay)
        {
            BundleFiles.Write(_homefeed, BundleFiles.Single("homefeed", "ctr", "1", $"busy_{i++}"));
            Signal(_homefeed);
            _harness.Time.Advance(step);
            elapsed += step;
        }

        // Events never paused for a whole debounce interval, yet the map followed within the bound.
        Assert.Equal([$"busy_{i - 1}"], _harness.AllowlistOf("ctr"));
        var reloads = _harness.Metrics.Sum("arbor.trimmer.reloads", "homefeed", "loaded") - loadedBefore;
        Assert.InRange(reloads, 1, 2);
    }

    [Fact]
    public void Rescan_MissedEvent_PicksUpTheChangeAtTheRescanInterval()
    {
        BundleFiles.Write(_homefeed, BundleFiles.Single("homefeed", "ctr", "2", "missed"));

        _harness.Time.Advance(TrimmerHarness.Rescan - TimeSpan.FromTicks(1));
        Assert.Equal(["a", "b"], _harness.AllowlistOf("ctr"));
        _harness.Time.Advance(TimeSpan.FromTicks(1));

        Assert.Equal(["missed"], _harness.AllowlistOf("ctr"));
    }

    [Fact]
    public void Rescan_UnchangedFiles_DoNotRepublish()
    {
        var snapshot = _harness.Trimmer.Snapshot;

        _harness.Time.Advance(TrimmerHarness.Rescan * 3);

        Assert.Same(snapshot, _harness.Trimmer.Snapshot);
        Assert.Equal(3, _harness.Metrics.Sum("arbor.trimmer.reloads", "homefeed", "unchanged"));
    }

    [Fact]
    public void Rescan_SameFailure_IsReportedOnce()
    {
        File.WriteAllText(_homefeed, "[]");

        _harness.Time.Advance(TrimmerHarness.Rescan * 4);

        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.reload_failures", "homefeed", "invalid"));
        Assert.Equal(1, _harness.Logger.Count(4103));
        // Stale since the first rescan saw the bad file.
        Assert.Equal(TrimmerHarness.Rescan.TotalSeconds * 3, _harness.Status("homefeed.json").StalenessSeconds);
    }

    [Fact]
    public void Reload_ModelInTwoBundles_FirstListedBundleWinsAndTheOtherIsFlagged()
    {
        BundleFiles.Write(_ads, BundleFiles.Document("ads", ("ads_ctr", "1", [("1", ["x"])]), ("ctr", "1", [("1", ["from_ads"])])));

        Signal(_ads);
        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(["a", "b"], _harness.AllowlistOf("ctr"));
        Assert.True(_harness.Status("ads.json").Models.Single(m => m.Model == "ctr").Shadowed);
        Assert.False(_harness.Status("homefeed.json").Models.Single().Shadowed);
        Assert.Equal(1, _harness.Logger.Count(4105));
    }

    private void Signal(string path) => _harness.Trimmer.Source(path).Signal();

    public void Dispose() => _harness.Dispose();
}
