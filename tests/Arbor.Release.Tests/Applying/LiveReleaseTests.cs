using Arbor.Release.Applying;
using Arbor.Release.Canary;
using Arbor.Release.Journal;
using Arbor.Release.Planning;
using Arbor.Release.Publishing;
using Arbor.Release.Tests.Fixtures;
using Arbor.Trimming.Verification;

namespace Arbor.Release.Tests.Applying;

/// <summary>
/// The pipeline against live processes on loopback: per environment a root running the real Feature
/// Trimmer on the environment's bundle file (admin endpoints over HTTP) and a leaf answering
/// ListModels over gRPC with what the environment's model repository holds.
/// </summary>
public sealed class LiveReleaseTests : IAsyncLifetime
{
    private readonly ReleaseHarness _h = new();
    private readonly Dictionary<string, TrimmerRoot> _roots = [];
    private readonly Dictionary<string, FakeLeaf> _leaves = [];
    private readonly Dictionary<string, long> _statsCalls = [];

    public async ValueTask InitializeAsync()
    {
        foreach (var env in _h.Environments.Environments)
        {
            var root = await TrimmerRoot.StartAsync(env.BundlePath("homefeed"));
            var name = env.Name;
            _statsCalls[name] = 0;
            root.Stats = () => Stats(name);
            _roots[name] = root;
            _leaves[name] = await FakeLeaf.StartAsync(FakeLeaf.Serving(env, "homefeed", "ctr", "exp"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _roots.Values)
        {
            await server.DisposeAsync();
        }

        foreach (var server in _leaves.Values)
        {
            await server.DisposeAsync();
        }

        _h.Dispose();
    }

    // Every read of the stats sees 100 more requests; the canary may be made to look worse.
    private object Stats(string env)
    {
        long n;
        lock (_statsCalls)
        {
            n = ++_statsCalls[env];
        }

        if (env == "canary" && CanaryShadowMismatches)
        {
            // The canary root's shadow verification finds one more trimmed call scoring differently at each read.
            _roots[env].Trimmer.ReportShadow("ctr", "2", ShadowOutcome.Mismatch, 0.125, $"r-{n}");
        }

        var bytesPerCandidate = env == "canary" ? CanaryBytesPerCandidate : 100;
        return new
        {
            requests = n * 100,
            errors = 0,
            candidates = n * 1000,
            p50_ms = 1.0,
            p99_ms = 4.0,
            leaf_bytes_sent = n * 1000 * bytesPerCandidate,
            untrimmed_calls = 0,
            trimmed_calls = n * 100,
        };
    }

    private long CanaryBytesPerCandidate { get; set; } = 105;

    private bool CanaryShadowMismatches { get; set; }

    private ReleaseGates Gates() => _h.Gates(
        _h.Environments.Environments.ToDictionary(e => e.Name, e => new EnvironmentEndpoints([_roots[e.Name].Address], [_leaves[e.Name].Address])),
        new GateOptions
        {
            WaitTimeout = TimeSpan.FromSeconds(20),
            PollInterval = TimeSpan.FromMilliseconds(50),
            CanaryWindow = TimeSpan.Zero,
            Thresholds = new CanaryThresholds { MinRequests = 100 },
        });

    [Fact]
    public async Task Apply_AllSteps_EveryGateSeesBundlesLoadedVersionsServedAndNoGap()
    {
        var executor = _h.Executor(Gates());
        executor.Begin(_h.Plan("ctr:2"));

        var result = await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, string.Join("\n", result.Report));
        Assert.Contains(result.Report, l => l.Contains("canary: 1 root(s) loaded the bundles", StringComparison.Ordinal));
        Assert.Contains(result.Report, l => l.Contains("canary: 1 leaf/leaves serve ctr:2 by default", StringComparison.Ordinal));
        Assert.Contains(result.Report, l => l.Contains("pass bytes_per_candidate", StringComparison.Ordinal));
        Assert.Equal(4, result.Report.Count(l => l.Contains("verify passed (0 trimming gaps)", StringComparison.Ordinal)));
        foreach (var env in _h.Environments.Environments)
        {
            var trimmer = _roots[env.Name].Trimmer.GetStatus().Bundles.Single();
            Assert.Equal(env.BundleHash("homefeed"), trimmer.ContentHash);
            Assert.Equal("2", trimmer.Models.Single(m => m.Model == "ctr").Latest);
        }
    }

    [Fact]
    public async Task Apply_CanaryWorseThanProduction_StopsAtTheCanaryAnalysis()
    {
        CanaryBytesPerCandidate = 400;
        var executor = _h.Executor(Gates());
        executor.Begin(_h.Plan("ctr:2"));

        var result = await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(StepStatus.Failed, result.Record.Step(3).Status);
        Assert.Contains(result.Report, l => l.Contains("FAIL bytes_per_candidate", StringComparison.Ordinal));
        Assert.DoesNotContain("2", _h.Production.ListVersions("ctr"));
    }

    [Fact]
    public async Task Apply_CanaryRootFindsAShadowMismatch_StopsAtTheCanaryAnalysis()
    {
        CanaryShadowMismatches = true;
        var executor = _h.Executor(Gates());
        executor.Begin(_h.Plan("ctr:2"));

        var result = await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(StepStatus.Failed, result.Record.Step(3).Status);
        Assert.Contains(result.Report, l => l.Contains("FAIL shadow_mismatch[ctr]", StringComparison.Ordinal));
        Assert.Contains(result.Report, l => l.Contains("pass bytes_per_candidate", StringComparison.Ordinal));
        Assert.DoesNotContain("2", _h.Production.ListVersions("ctr"));
    }

    [Fact]
    public async Task Gates_ModelShippedBeforeItsRootConfig_ReportTheGapUntilTheRootConfigLands()
    {
        var gates = Gates();
        var plan = _h.Plan("ctr:2");
        var expected = new Dictionary<string, string?> { ["ctr"] = "2" };

        // The wrong order: the version reaches the canary's leaves before its allowlist reaches the roots.
        AtomicPublisher.PublishDirectory(Path.Combine(_h.Repository.Path, "ctr", "2"), _h.Canary.VersionDirectory("ctr", "2"));
        var gap = await gates.LeavesServeAsync(_h.Canary, expected, [], strict: false, TestContext.Current.CancellationToken);

        Assert.False(gap.Passed);
        Assert.Contains(gap.Report, l => l.Contains("MissingAllowlist", StringComparison.Ordinal) && l.Contains("no allowlist for ctr:2", StringComparison.Ordinal));

        var rootConfig = TestEnvironments.StepOf(plan, ReleaseStepKind.RootConfig, "canary").Bundles.Single();
        AtomicPublisher.WriteFile(_h.Canary.BundlePath("homefeed"), rootConfig.Content);
        Assert.True((await gates.BundlesLoadedAsync(_h.Canary, [("homefeed", rootConfig.Sha256)], TestContext.Current.CancellationToken)).Passed);
        var closed = await gates.LeavesServeAsync(_h.Canary, expected, [], strict: false, TestContext.Current.CancellationToken);

        Assert.True(closed.Passed, string.Join("\n", closed.Report));
    }

    [Fact]
    public async Task Rollback_WithLiveProcesses_WaitsForLeavesThenRestoresRootsAndVerifiesStrictly()
    {
        var before = _h.Snapshot();
        var executor = _h.Executor(Gates());
        executor.Begin(_h.Plan("ctr:2"));
        Assert.True((await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken)).Succeeded);

        var result = await executor.RollbackAsync(null, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, string.Join("\n", result.Report));
        Assert.Contains(result.Report, l => l.Contains("production: 1 leaf/leaves serve ctr:1 by default", StringComparison.Ordinal));
        Assert.Equal(4, result.Report.Count(l => l.Contains("verify passed (0 trimming gaps)", StringComparison.Ordinal)));
        foreach (var env in _h.Environments.Environments)
        {
            Assert.Equal(before[env.Name].Bundle, env.ReadBundleBytes("homefeed"));
            var trimmer = _roots[env.Name].Trimmer.GetStatus().Bundles.Single();
            Assert.Equal(env.BundleHash("homefeed"), trimmer.ContentHash);
            Assert.Equal("1", trimmer.Models.Single(m => m.Model == "ctr").Latest);
        }
    }

    [Fact]
    public async Task Gates_RootNotConfiguredWithTheBundle_FailsNamingIt()
    {
        await using var other = await TrimmerRoot.StartAsync(Path.Combine(_h.Canary.BundlesDirectory, "related.json"));
        var gates = _h.Gates(new Dictionary<string, EnvironmentEndpoints> { ["canary"] = new([other.Address], []) },
            new GateOptions { WaitTimeout = TimeSpan.FromMilliseconds(200), PollInterval = TimeSpan.FromMilliseconds(50) });

        var result = await gates.BundlesLoadedAsync(_h.Canary, [("homefeed", _h.Canary.BundleHash("homefeed")!)], TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Contains(result.Report, l => l.Contains("is not configured with bundle homefeed", StringComparison.Ordinal));
    }
}
