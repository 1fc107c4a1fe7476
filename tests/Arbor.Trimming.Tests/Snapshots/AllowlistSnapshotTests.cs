using Arbor.Features.Selection;
using Arbor.Trimming.Tests.Support;

namespace Arbor.Trimming.Tests.Snapshots;

public sealed class AllowlistSnapshotTests : IDisposable
{
    private readonly TrimmerHarness _harness = new();

    public AllowlistSnapshotTests()
    {
        BundleFiles.Write(_harness.PathOf("homefeed.json"), BundleFiles.Document(
            "homefeed",
            ("ctr", "7", [("6", ["a", "b"]), ("7", ["a", "b", "c"])])));
        _harness.Start(watch: false, "homefeed.json");
    }

    [Fact]
    public void Lookup_UnknownModel_PassesThroughUntrimmed()
    {
        var decision = _harness.Trimmer.Snapshot.Lookup("not_served_here", "7");

        Assert.Equal(TrimOutcome.UnknownModel, decision.Outcome);
        Assert.True(decision.IsPassThrough);
        Assert.Null(decision.AllowlistVersion);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Lookup_VersionUnspecified_UsesLatest(string? version)
    {
        var decision = _harness.Trimmer.Snapshot.Lookup("ctr", version);

        Assert.Equal(TrimOutcome.LatestUnspecified, decision.Outcome);
        Assert.Equal("7", decision.AllowlistVersion);
        Assert.Equal(["a", "b", "c"], decision.Allowlist!.Features);
    }

    [Fact]
    public void Lookup_UnknownVersion_FallsBackToLatest()
    {
        var decision = _harness.Trimmer.Snapshot.Lookup("ctr", "8");

        Assert.Equal(TrimOutcome.LatestFallback, decision.Outcome);
        Assert.Equal("7", decision.AllowlistVersion);
        Assert.Equal(["a", "b", "c"], decision.Allowlist!.Features);
    }

    [Fact]
    public void Lookup_KnownVersion_UsesItsAllowlist()
    {
        var decision = _harness.Trimmer.Snapshot.Lookup("ctr", "6");

        Assert.Equal(TrimOutcome.Exact, decision.Outcome);
        Assert.Equal("6", decision.AllowlistVersion);
        Assert.Equal(["a", "b"], decision.Allowlist!.Features);
    }

    [Fact]
    public void Lookup_ModelNameIsCaseSensitive()
    {
        Assert.True(_harness.Trimmer.Snapshot.Lookup("CTR", null).IsPassThrough);
    }

    public void Dispose() => _harness.Dispose();
}
