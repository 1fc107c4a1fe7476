using Arbor.Release.Publishing;
using Arbor.Release.Tests.Fixtures;
using Arbor.Release.Verification;
using Arbor.Signatures.Bundles;
using Arbor.Testing;

namespace Arbor.Release.Tests.Verification;

/// <summary>Verify against a real Feature Trimmer (admin endpoint over HTTP) and leaves answering ListModels over gRPC.</summary>
public sealed class ReleaseVerifierTests : IAsyncLifetime
{
    private static readonly string ShaOf1 = new('1', 64);
    private static readonly string ShaOf2 = new('2', 64);
    private readonly TempDirectory _dir = new();
    private readonly HttpClient _http = new();
    private readonly LeafModelsClient _leaves = new();
    private TrimmerRoot _root = null!;
    private string _bundlePath = null!;

    public async ValueTask InitializeAsync()
    {
        _bundlePath = _dir.Combine("homefeed.json");
        WriteBundle(("ctr", "1", ShaOf1));
        _root = await TrimmerRoot.StartAsync(_bundlePath);
    }

    public async ValueTask DisposeAsync()
    {
        await _root.DisposeAsync();
        _leaves.Dispose();
        _http.Dispose();
        _dir.Dispose();
    }

    private ReleaseVerifier Verifier => new(new RootAdminClient(_http), _leaves);

    private void WriteBundle(params (string Model, string Version, string Sha)[] versions)
    {
        var models = versions.GroupBy(v => v.Model).ToDictionary(
            g => g.Key,
            g => new BundleModel(g.Last().Version, g.ToDictionary(v => v.Version, v => new BundleModelVersion(["f1", "f2"], v.Sha))));
        AtomicPublisher.WriteFile(_bundlePath, BundleJson.ToUtf8Bytes(new BundleDocument(BundleDocument.SchemaV1, "homefeed", DateTimeOffset.UnixEpoch, models)));
    }

    [Fact]
    public async Task Verify_EveryServedVersionHasAnAllowlist_Passes()
    {
        await using var leaf = await FakeLeaf.StartAsync(FakeLeaf.Fixed("homefeed", ("ctr", "1", ShaOf1)));

        var report = await Verifier.VerifyAsync([_root.Address], [leaf.Address], strict: true, TestContext.Current.CancellationToken);

        Assert.True(report.Passed, string.Join("\n", report.Describe()));
        Assert.Empty(report.Findings);
        Assert.Equal("1", report.Roots.Single().Allowlists("ctr")!.Latest);
    }

    [Fact]
    public async Task Verify_LeafServesAVersionTheRootHasNoAllowlistFor_ReportsTheGap()
    {
        await using var leaf = await FakeLeaf.StartAsync(FakeLeaf.Fixed("homefeed", ("ctr", "1", ShaOf1), ("ctr", "2", ShaOf2)));

        var report = await Verifier.VerifyAsync([_root.Address], [leaf.Address], strict: false, TestContext.Current.CancellationToken);

        Assert.False(report.Passed);
        var gap = Assert.Single(report.Gaps);
        Assert.Equal(FindingSeverity.Error, gap.Severity);
        Assert.Contains("no allowlist for ctr:2", gap.Message, StringComparison.Ordinal);
        Assert.Contains(leaf.Address.ToString(), gap.Message, StringComparison.Ordinal);
        Assert.Contains(report.Describe(), l => l.StartsWith("verify: FAILED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_GapClosesOnceTheRootLoadsTheAllowlist()
    {
        await using var leaf = await FakeLeaf.StartAsync(FakeLeaf.Fixed("homefeed", ("ctr", "1", ShaOf1), ("ctr", "2", ShaOf2)));
        Assert.False((await Verifier.VerifyAsync([_root.Address], [leaf.Address], false, TestContext.Current.CancellationToken)).Passed);

        WriteBundle(("ctr", "1", ShaOf1), ("ctr", "2", ShaOf2));
        _root.Trimmer.Rescan();

        var report = await Verifier.VerifyAsync([_root.Address], [leaf.Address], strict: true, TestContext.Current.CancellationToken);
        Assert.True(report.Passed, string.Join("\n", report.Describe()));
    }

    [Fact]
    public async Task Verify_ModelTheRootDoesNotKnow_ReportsItGoesUntrimmed()
    {
        await using var leaf = await FakeLeaf.StartAsync(FakeLeaf.Fixed("related", ("rel", "1", ShaOf1)));

        var report = await Verifier.VerifyAsync([_root.Address], [leaf.Address], strict: false, TestContext.Current.CancellationToken);

        var gap = Assert.Single(report.Gaps);
        Assert.Contains("no allowlist for model rel", gap.Message, StringComparison.Ordinal);
        Assert.Contains("untrimmed", gap.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_AllowlistFromAnotherSignature_IsAnError()
    {
        await using var leaf = await FakeLeaf.StartAsync(FakeLeaf.Fixed("homefeed", ("ctr", "1", ShaOf2)));

        var report = await Verifier.VerifyAsync([_root.Address], [leaf.Address], strict: false, TestContext.Current.CancellationToken);

        Assert.Equal(FindingKind.SignatureMismatch, Assert.Single(report.Findings).Kind);
        Assert.False(report.Passed);
    }

    [Fact]
    public async Task Verify_LeafDefaultIsNotTheRootLatest_WarnsAndFailsOnlyWhenStrict()
    {
        WriteBundle(("ctr", "2", ShaOf2), ("ctr", "1", ShaOf1));
        _root.Trimmer.Rescan();
        await using var leaf = await FakeLeaf.StartAsync(FakeLeaf.Fixed("homefeed", ("ctr", "1", ShaOf1), ("ctr", "2", ShaOf2)));

        var lenient = await Verifier.VerifyAsync([_root.Address], [leaf.Address], strict: false, TestContext.Current.CancellationToken);
        var strict = await Verifier.VerifyAsync([_root.Address], [leaf.Address], strict: true, TestContext.Current.CancellationToken);

        Assert.True(lenient.Passed);
        Assert.Equal(FindingKind.DefaultVersionMismatch, Assert.Single(lenient.Findings).Kind);
        Assert.False(strict.Passed);
    }

    [Fact]
    public async Task Verify_UnreachableLeafAndRoot_AreErrors()
    {
        var nowhere = new Uri($"http://127.0.0.1:{LoopbackPort.Next()}");

        var report = await Verifier.VerifyAsync([nowhere], [nowhere], strict: false, TestContext.Current.CancellationToken);

        Assert.False(report.Passed);
        Assert.Equal(2, report.Findings.Count(f => f.Kind == FindingKind.Unreachable));
    }

    [Fact]
    public async Task Verify_BrokenBundleFile_WarnsThatThePreviousAllowlistsStay()
    {
        File.WriteAllText(_bundlePath, "{ not json");
        _root.Trimmer.Rescan();
        await using var leaf = await FakeLeaf.StartAsync(FakeLeaf.Fixed("homefeed", ("ctr", "1", ShaOf1)));

        var report = await Verifier.VerifyAsync([_root.Address], [leaf.Address], strict: true, TestContext.Current.CancellationToken);

        Assert.True(report.Passed);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(FindingKind.BundleNotActive, finding.Kind);
        Assert.Contains("stale", finding.Message, StringComparison.Ordinal);
    }
}
