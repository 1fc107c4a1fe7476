using Arbor.Release.Applying;
using Arbor.Release.Canary;
using Arbor.Release.Journal;
using Arbor.Release.Planning;
using Arbor.Release.Publishing;
using Arbor.Release.Verification;
using Arbor.Signatures.Bundles;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Release;

/// <summary>
/// Staged rollouts against live <c>arbor root</c> and <c>arbor leaf</c> processes (canary and
/// production) serving the sample models under continuous traffic.
/// </summary>
public sealed class ReleaseRolloutTests
{
    private const string Model = "homefeed_ctr";

    private static GateOptions Gates => new()
    {
        WaitTimeout = TimeSpan.FromSeconds(60),
        PollInterval = TimeSpan.FromMilliseconds(100),
        CanaryWindow = TimeSpan.FromSeconds(5),
        // Latency is not what these tests are about, and the machine's cores are shared: the p99
        // check gets seconds of slack here (its thresholds are covered by unit tests).
        Thresholds = new CanaryThresholds { MinRequests = 3, MaxP99Ratio = 4, P99SlackMs = 5000 },
    };

    [Fact]
    public async Task Rollout_UnderTraffic_NoRequestFailsOrGoesUntrimmed_ThenRollbackRestoresBothTiers()
    {
        await using var cluster = await ReleaseCluster.StartAsync(["canary", "production"], [(Model, "2")], [Model]);
        var before = cluster.Environments.Environments.ToDictionary(e => e.Name, e => e.ReadBundleBytes("homefeed"));
        var log = new List<string>();
        var executor = cluster.Executor(Gates, log);
        var traffic = new TrafficReport();
        var phase = "rollout";
        using var stop = new CancellationTokenSource();
        var load = cluster.RunTrafficAsync(traffic, () => Volatile.Read(ref phase), [], maxRequests: 200_000, stop.Token);

        executor.Begin(new ReleasePlanner(TimeProvider.System).Plan(cluster.Environments, new ReleaseRequest(cluster.Repository, [new ModelVersionRef(Model, "3")])));
        var rollout = await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken);
        Assert.True(rollout.Succeeded, string.Join("\n", log) + "\n" + traffic);
        var afterRollout = await cluster.VerifyAsync("production", strict: true);
        Assert.True(afterRollout.Passed, string.Join("\n", afterRollout.Describe()));
        var servedByNew = traffic.Count(phase: "rollout", version: "3");

        Volatile.Write(ref phase, "rollback");
        var rollback = await executor.RollbackAsync(null, TestContext.Current.CancellationToken);
        Assert.True(rollback.Succeeded, string.Join("\n", log) + "\n" + traffic);
        Volatile.Write(ref phase, "after");
        await WaitForAsync(() => traffic.Count(phase: "after") >= 20);
        await stop.CancelAsync();
        await load;

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", log) + "\n" + traffic);

        // The rollout: nothing failed, nothing went untrimmed, and the new version really served.
        Assert.True(traffic.Failures.Count == 0, string.Join("\n", traffic.Failures));
        Assert.True(servedByNew > 0, traffic.ToString());
        Assert.Equal(0, traffic.Count(version: "3", trimmed: false));
        Assert.Equal(0, traffic.Count(trimmed: false));
        Assert.Contains(log, l => l.Contains("pass bytes_per_candidate", StringComparison.Ordinal));
        Assert.Equal(ReleaseStatus.RolledBack, cluster.Store.Load(rollout.Record.Id).Status);

        // The rollback: both tiers as before, and the old version serving again everywhere.
        foreach (var env in cluster.Environments.Environments)
        {
            Assert.Equal(before[env.Name], env.ReadBundleBytes("homefeed"));
            Assert.Equal(["2"], env.ListVersions(Model));
            Assert.True((await cluster.VerifyAsync(env.Name, strict: true)).Passed);
        }

        Assert.Equal(0, traffic.Count(phase: "after", version: "3"));
        Assert.True(traffic.Count(phase: "after", version: "2", trimmed: true) >= 20, traffic.ToString());
    }

    [Fact]
    public async Task VersionThatThrowsForSomeInputs_FailsTheCanaryAnalysis_NeverReachesProduction_RollbackRestoresTheCanary()
    {
        // homefeed_ctr 4 scores like 3 but its forward throws for about half of the users
        // (models/generate.py, write_failing_version): requests stay answered, its results fail.
        await using var cluster = await ReleaseCluster.StartAsync(["canary", "production"], [(Model, "3")], [Model]);
        var log = new List<string>();
        var executor = cluster.Executor(Gates, log);
        var traffic = new TrafficReport();
        var phase = "rollout";
        using var stop = new CancellationTokenSource();
        var load = cluster.RunTrafficAsync(traffic, () => Volatile.Read(ref phase), [], maxRequests: 200_000, stop.Token);

        var failingRepository = Path.Combine(SampleModelRepository.Bad, "failing_repo");
        executor.Begin(new ReleasePlanner(TimeProvider.System).Plan(cluster.Environments, new ReleaseRequest(
            failingRepository, [new ModelVersionRef(Model, "4")], SampleModelRepository.Combine("feature_registry.json"), "homefeed")));
        var rollout = await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken);
        Volatile.Write(ref phase, "rollback");
        var rollback = await executor.RollbackAsync(null, TestContext.Current.CancellationToken);
        Volatile.Write(ref phase, "after");
        await WaitForAsync(() => traffic.Count(phase: "after", env: "canary") >= 20);
        await stop.CancelAsync();
        await load;

        var report = string.Join("\n", log) + "\n" + traffic;
        TestContext.Current.TestOutputHelper?.WriteLine(report);

        // The analysis saw the model's own failures (the requests around them were answered) and stopped the release.
        Assert.False(rollout.Succeeded, report);
        Assert.Contains(log, l => l.Contains("FAIL model_error_rate[homefeed_ctr]", StringComparison.Ordinal));
        var failed = traffic.CountFailed(phase: "rollout", env: "canary", model: Model, version: "4");
        Assert.True(failed > 0, report);
        Assert.True(traffic.Count(phase: "rollout", env: "canary", model: Model, version: "4") > 0, report); // it did score the other users
        Assert.Equal(traffic.CountFailed(), traffic.CountFailed(env: "canary", model: Model, version: "4"));
        Assert.All(traffic.Failures, f => Assert.Contains("the model failed at the leaf (correlation id ", f, StringComparison.Ordinal));

        // Production never served it; the rollback put 3 back on the canary and nothing fails there any more.
        Assert.Equal(0, traffic.Count(env: "production", version: "4"));
        Assert.True(rollback.Succeeded, report);
        Assert.Equal(ReleaseStatus.RolledBack, cluster.Store.Load(rollout.Record.Id).Status);
        Assert.Equal(["3"], cluster.Environments.Get("canary").ListVersions(Model));
        Assert.Equal(0, traffic.Count(phase: "after", version: "4"));
        Assert.Equal(0, traffic.CountFailed(phase: "after"));
    }

    [Fact]
    public async Task ModelShippedBeforeItsRootConfig_VerifyReportsTheGap_RequestsGoUntrimmedNeverFail_UntilTheRootConfigLands()
    {
        const string NewModel = "homefeed_ctr_exp_b";
        await using var cluster = await ReleaseCluster.StartAsync(["canary"], [(Model, "2")], [Model, NewModel]);
        var canary = cluster.Environments.Get("canary");
        var log = new List<string>();
        var executor = cluster.Executor(Gates, log);
        var record = executor.Begin(new ReleasePlanner(TimeProvider.System).Plan(cluster.Environments, new ReleaseRequest(cluster.Repository, [new ModelVersionRef(NewModel, "2")])));

        // The mistake: the model config goes out before the root config.
        AtomicPublisher.PublishDirectory(Path.Combine(cluster.Repository, NewModel, "2"), canary.VersionDirectory(NewModel, "2"));
        await cluster.WaitForDefaultAsync("canary", NewModel, "2");
        var gap = await cluster.VerifyAsync("canary", strict: false);

        var traffic = new TrafficReport();
        var phase = "gap";
        using var stop = new CancellationTokenSource();
        var load = cluster.RunTrafficAsync(traffic, () => Volatile.Read(ref phase), [Model, NewModel], maxRequests: 100_000, stop.Token);
        await WaitForAsync(() => traffic.Count(phase: "gap", model: NewModel) >= 20);

        // While the step runs, roots pick the new bundle up at their own pace: those requests may go
        // either way. Once the step's gate has verified the roots, every request must be trimmed.
        Volatile.Write(ref phase, "landing");
        var rootConfig = await executor.ApplyAsync(record.Id, 1, TestContext.Current.CancellationToken);
        Assert.True(rootConfig.Succeeded, string.Join("\n", log));
        Volatile.Write(ref phase, "closed");
        await WaitForAsync(() => traffic.Count(phase: "closed", model: NewModel) >= 20);
        var closed = await cluster.VerifyAsync("canary", strict: false);
        await stop.CancelAsync();
        await load;

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", gap.Describe()) + "\n" + string.Join("\n", log) + "\n" + traffic);
        Assert.False(gap.Passed);
        var finding = Assert.Single(gap.Gaps);
        Assert.Contains($"no allowlist for model {NewModel}", finding.Message, StringComparison.Ordinal);
        Assert.True(traffic.Failures.Count == 0, string.Join("\n", traffic.Failures));
        Assert.Equal(traffic.Count(phase: "gap", model: NewModel), traffic.Count(phase: "gap", model: NewModel, trimmed: false));
        Assert.Equal(0, traffic.Count(phase: "gap", model: Model, trimmed: false));
        Assert.Equal(0, traffic.Count(phase: "closed", trimmed: false));
        Assert.True(closed.Passed, string.Join("\n", closed.Describe()));
        Assert.Empty(closed.Gaps);
    }

    private static Task WaitForAsync(Func<bool> condition) =>
        Eventually.WaitUntilAsync(condition, "the traffic reaches the expected count", TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);
}
