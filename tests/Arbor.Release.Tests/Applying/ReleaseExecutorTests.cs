using Arbor.Release.Applying;
using Arbor.Release.Environments;
using Arbor.Release.Journal;
using Arbor.Release.Publishing;
using Arbor.Release.Tests.Fixtures;

namespace Arbor.Release.Tests.Applying;

/// <summary>Apply and rollback on the files alone (no live processes given: the gates check files only).</summary>
public sealed class ReleaseExecutorTests : IDisposable
{
    private readonly ReleaseHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Apply_AllSteps_LeavesEveryEnvironmentServingThePendingVersionAsLatest()
    {
        var executor = _h.Executor();
        executor.Begin(_h.Plan("ctr:2"));

        var result = await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, string.Join("\n", result.Report));
        Assert.Equal(ReleaseStatus.Completed, result.Record.Status);
        foreach (var env in _h.Environments.Environments)
        {
            Assert.Equal(["1", "2"], env.ListVersions("ctr"));
            Assert.Equal("2", ReleaseHarness.Bundle(env).Models["ctr"].Latest);
            var state = DeployedStateJson.Read(env.StatePath)!;
            Assert.Equal(result.Record.Id, state.Release);
            Assert.Equal(["1", "2"], state.Models["ctr"]);
            Assert.Equal(env.BundleHash("homefeed"), state.Bundles["homefeed"]);
        }

        Assert.Equal(ReleaseStatus.Completed, _h.Store.Load(result.Record.Id).Status);
    }

    [Fact]
    public async Task Rollback_AfterACompletedRelease_RestoresBothTiersOfEveryEnvironmentExactly()
    {
        var before = _h.Snapshot();
        var executor = _h.Executor();
        executor.Begin(_h.Plan("ctr:2"));
        Assert.True((await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken)).Succeeded);
        Assert.NotEqual(before["canary"], _h.Snapshot()["canary"]);

        var result = await executor.RollbackAsync(null, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, string.Join("\n", result.Report));
        var after = _h.Snapshot();
        foreach (var env in _h.Environments.Environments)
        {
            Assert.Equal(before[env.Name].Versions, after[env.Name].Versions);
            Assert.Equal(before[env.Name].Bundle, after[env.Name].Bundle);
            Assert.Equal("rolled back", DeployedStateJson.Read(env.StatePath)!.Event);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(env.ModelsDirectory, "ctr"), AtomicPublisher.TemporaryMarker + "*"));
        }

        Assert.Equal(ReleaseStatus.RolledBack, _h.Store.Load(result.Record.Id).Status);
        // Production first, and in each environment: widen roots, restore models, then restore roots.
        var order = result.Report.Where(l => !l.StartsWith("  ", StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal)).ToList();
        Assert.StartsWith("production: widened", order[0], StringComparison.Ordinal);
        Assert.StartsWith("production: removed ctr:2", order[1], StringComparison.Ordinal);
        Assert.StartsWith("production: restored", order[2], StringComparison.Ordinal);
        Assert.StartsWith("canary: widened", order[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_AfterTheCanaryStepsOnly_RestoresTheCanaryAndNeverTouchesProduction()
    {
        var before = _h.Snapshot();
        var productionBundle = File.GetLastWriteTimeUtc(_h.Production.BundlePath("homefeed"));
        var executor = _h.Executor();
        var record = executor.Begin(_h.Plan("ctr:2"));
        Assert.True((await executor.ApplyAsync(record.Id, 1, TestContext.Current.CancellationToken)).Succeeded);
        Assert.True((await executor.ApplyAsync(record.Id, 2, TestContext.Current.CancellationToken)).Succeeded);
        Assert.Equal(["1", "2"], _h.Canary.ListVersions("ctr"));

        var result = await executor.RollbackAsync(record.Id, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, string.Join("\n", result.Report));
        Assert.Equal(before, _h.Snapshot(), new SnapshotComparer());
        Assert.Contains("production: nothing to undo", result.Report);
        Assert.Equal(productionBundle, File.GetLastWriteTimeUtc(_h.Production.BundlePath("homefeed")));
    }

    [Fact]
    public async Task Apply_CanaryAnalysisWithoutLiveRoots_StopsBeforeProductionChanges()
    {
        var before = _h.Snapshot();
        var executor = _h.Executor(_h.Gates(options: new GateOptions()));
        executor.Begin(_h.Plan("ctr:2"));

        var result = await executor.ApplyAsync(null, null, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal([StepStatus.Applied, StepStatus.Applied, StepStatus.Failed, StepStatus.Pending], result.Record.Steps.Take(4).Select(s => s.Status));
        Assert.Contains(result.Report, l => l.Contains("canary analysis needs the roots", StringComparison.Ordinal));
        Assert.Equal(before["production"].Versions, _h.Snapshot()["production"].Versions);
        Assert.Equal(before["production"].Bundle, _h.Snapshot()["production"].Bundle);
        Assert.Equal(ReleaseStatus.InProgress, _h.Store.FindOpen()!.Status);
    }

    [Fact]
    public async Task Apply_StepOutOfOrder_IsRefused()
    {
        var executor = _h.Executor();
        var record = executor.Begin(_h.Plan("ctr:2"));

        var refused = await Assert.ThrowsAsync<ReleaseException>(() => executor.ApplyAsync(record.Id, 2, TestContext.Current.CancellationToken));

        Assert.Contains("step 2 cannot run before step 1", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("2", _h.Canary.ListVersions("ctr"));
    }

    [Fact]
    public async Task Apply_BundleChangedOutsideTheRelease_FailsTheStepWithoutWriting()
    {
        var executor = _h.Executor();
        executor.Begin(_h.Plan("ctr:2"));
        var foreign = "{\"schema\": \"arbor.bundle/v1\"}"u8.ToArray();
        AtomicPublisher.WriteFile(_h.Canary.BundlePath("homefeed"), foreign);

        var result = await executor.ApplyAsync(null, 1, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Contains(result.Report, l => l.Contains("changed outside release", StringComparison.Ordinal));
        Assert.Equal(foreign, _h.Canary.ReadBundleBytes("homefeed"));
        Assert.Equal(StepStatus.Failed, result.Record.Step(1).Status);
    }

    [Fact]
    public async Task Apply_SourceVersionChangedSincePlanning_RefusesToPublishIt()
    {
        var executor = _h.Executor();
        executor.Begin(_h.Plan("ctr:2"));
        Assert.True((await executor.ApplyAsync(null, 1, TestContext.Current.CancellationToken)).Succeeded);
        TestModelRepository.WriteArchive(Path.Combine(_h.Repository.Path, "ctr", "2", "model.pt"),
            TestModelRepository.Signature("ctr", "2", TestModelRepository.Features(70, 3)), 100);

        var result = await executor.ApplyAsync(null, 2, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Contains(result.Report, l => l.Contains("changed since the plan", StringComparison.Ordinal));
        Assert.DoesNotContain("2", _h.Canary.ListVersions("ctr"));
    }

    [Fact]
    public async Task Begin_WhileAReleaseIsInProgress_IsRefused()
    {
        var executor = _h.Executor();
        executor.Begin(_h.Plan("ctr:2"));
        Assert.True((await executor.ApplyAsync(null, 1, TestContext.Current.CancellationToken)).Succeeded);
        _h.Repository.AddVersion("exp", "2", TestModelRepository.Features(50, 5));

        var refused = Assert.Throws<ReleaseException>(() => executor.Begin(_h.Plan("exp:2")));

        Assert.Contains("in progress", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Begin_OverAPlannedReleaseWithNothingApplied_AbandonsIt()
    {
        var executor = _h.Executor();
        var first = executor.Begin(_h.Plan("ctr:2"));
        _h.Repository.AddVersion("exp", "2", TestModelRepository.Features(50, 5));

        var second = executor.Begin(_h.Plan("exp:2") with { Id = "second" });

        Assert.Equal(ReleaseStatus.Abandoned, _h.Store.Load(first.Id).Status);
        Assert.Equal(second.Id, _h.Store.FindOpen()!.Id);
    }

    [Fact]
    public async Task Store_RoundTripsTheRecord_WithBundlesThatReproduceTheirBytes()
    {
        var executor = _h.Executor();
        var record = executor.Begin(_h.Plan("ctr:2"));

        var loaded = _h.Store.Load(record.Id);

        Assert.Equal(record.Plan.Steps.SelectMany(s => s.Bundles).Select(b => b.Sha256), loaded.Plan.Steps.SelectMany(s => s.Bundles).Select(b => b.Sha256));
        Assert.Equal(record.Plan.Before[0].Models["ctr"], loaded.Plan.Before[0].Models["ctr"]);
        Assert.Equal(_h.Canary.ReadBundleBytes("homefeed"), _h.Store.ReadBackup(record.Id, "canary", "homefeed"));
        var result = await executor.ApplyAsync(null, 1, TestContext.Current.CancellationToken);
        Assert.Equal(loaded.Plan.Steps[0].Bundles[0].Sha256, _h.Canary.BundleHash("homefeed"));
        Assert.True(result.Succeeded);
    }

    private sealed class SnapshotComparer : IEqualityComparer<Dictionary<string, (string Versions, byte[]? Bundle)>>
    {
        public bool Equals(Dictionary<string, (string Versions, byte[]? Bundle)>? x, Dictionary<string, (string Versions, byte[]? Bundle)>? y) =>
            x!.Count == y!.Count && x.All(e => y.TryGetValue(e.Key, out var o) && o.Versions == e.Value.Versions
                && (o.Bundle ?? []).AsSpan().SequenceEqual(e.Value.Bundle ?? []));

        public int GetHashCode(Dictionary<string, (string Versions, byte[]? Bundle)> obj) => obj.Count;
    }
}
