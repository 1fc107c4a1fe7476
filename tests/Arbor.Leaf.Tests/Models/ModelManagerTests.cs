using Arbor.Leaf.Configuration;
using Arbor.Leaf.Models;
using Arbor.Leaf.Service;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Testing;

namespace Arbor.Leaf.Tests.Models;

public sealed class ModelManagerTests(TestModelSet models)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_LatestPolicy_ServesTheGreatestVersionAndIsReady()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        models.CopyTo(repo.Path, "ctr", "2");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));

        var served = partition.Manager.Snapshot.Models["ctr"];

        Assert.Equal("2", served.DefaultVersion);
        Assert.Equal(["2"], served.Versions.Keys);
        Assert.True(partition.IsReady);
    }

    [Fact]
    public async Task Start_LatestTwoAndSpecificPolicies_ServeTheChosenVersions()
    {
        using var repo = new TempDirectory();
        foreach (var v in new[] { "1", "2", "3" })
        {
            models.CopyTo(repo.Path, "ctr", v);
        }

        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(
            repo.Path, new ModelConfig("ctr", VersionPolicy.Latest(2))));
        Assert.Equal(["2", "3"], partition.Manager.Snapshot.Models["ctr"].Versions.Keys.Order());
        Assert.Equal("3", partition.Manager.Snapshot.Models["ctr"].DefaultVersion);

        await using var specific = await TestPartitions.StartAsync(TestPartitions.Config(
            repo.Path, new ModelConfig("ctr", VersionPolicy.Specific("1", "3", "9"))));
        Assert.Equal(["1", "3"], specific.Manager.Snapshot.Models["ctr"].Versions.Keys.Order());
    }

    [Fact]
    public async Task Poll_NewVersion_IsPublishedAndTheOldUnloadsOnlyAfterItsLastRequest()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        var time = new ManualTimeProvider();
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())), time);
        var manager = partition.Manager;
        Assert.Equal(LeaseOutcome.Acquired, manager.TryAcquire("ctr", "", out var inFlight));
        var old = inFlight.Version;

        models.CopyTo(repo.Path, "ctr", "2");
        var before = manager.Reconciliations;
        time.Advance(partition.Config.PollInterval);
        await TestPartitions.WaitUntilAsync(() => manager.Reconciliations > before, "the poll reconciled");

        Assert.Equal("2", manager.Snapshot.Models["ctr"].DefaultVersion);
        Assert.Equal(ModelVersionState.Unloading, old.State);
        Assert.NotNull(old.Loaded);

        inFlight.Dispose();
        await old.Unloaded.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(ModelVersionState.Unloaded, old.State);
        Assert.Null(old.Loaded);
    }

    [Fact]
    public async Task Reconcile_CorruptNewVersion_FailsIsReportedAndTheServingVersionStays()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        models.CopyTo(repo.Path, "dense", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(
            repo.Path, new ModelConfig("ctr", VersionPolicy.Latest()), new ModelConfig("dense", VersionPolicy.Latest())));

        Directory.CreateDirectory(Path.Combine(repo.Path, "ctr", "2"));
        var bytes = File.ReadAllBytes(models.Archive("ctr", "2"));
        File.WriteAllBytes(Path.Combine(repo.Path, "ctr", "2", "model.pt"), bytes[..(bytes.Length / 3)]);
        await partition.Manager.ReconcileAsync(Ct);

        Assert.Equal("1", partition.Manager.Snapshot.Models["ctr"].DefaultVersion);
        Assert.True(partition.IsReady);
        var listed = partition.Scorer.ListModels().Models.Single(m => m.Name == "ctr");
        var failed = listed.Versions.Single(v => v.Version == "2");
        Assert.Equal(Arbor.Contracts.V1.VersionState.Failed, failed.State);
        Assert.NotEmpty(failed.Error);
        Assert.Equal(Arbor.Contracts.V1.VersionState.Available, listed.Versions.Single(v => v.Version == "1").State);
        var response = await partition.Scorer.ScoreAsync(ScoringCases.All[0].ToRequest("ctr"), null, Ct);
        Assert.Equal(models.Expected("ctr", "1", 0), response.Scores);
    }

    [Fact]
    public async Task Reconcile_FailedVersionReplacedByAGoodFile_IsRetriedAndServed()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        Directory.CreateDirectory(Path.Combine(repo.Path, "ctr", "2"));
        File.WriteAllText(Path.Combine(repo.Path, "ctr", "2", "model.pt"), "half-written");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));
        Assert.Equal("1", partition.Manager.Snapshot.Models["ctr"].DefaultVersion);

        // An unchanged failed file is not retried at every poll...
        await partition.Manager.ReconcileAsync(Ct);
        Assert.Equal(ModelVersionState.Failed, partition.Manager.Describe()[0].Versions.Single(v => v.Version == "2").State);

        // ...but a new file is.
        models.CopyTo(repo.Path, "ctr", "2");
        await partition.Manager.ReconcileAsync(Ct);

        Assert.Equal("2", partition.Manager.Snapshot.Models["ctr"].DefaultVersion);
    }

    [Fact]
    public async Task Poll_UnchangedBrokenVersions_AreLoadedOnceAndAReplacedOneIsRetriedAndServed()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        TestPartitions.WriteBroken(repo.Path, "ctr", "2", "half-written");
        TestPartitions.WriteBroken(repo.Path, "ctr", "3", "not a TorchScript archive");
        var time = new ManualTimeProvider();
        var config = TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest()));
        using var loader = new CountingLoader(config, time);
        await using var partition = await TestPartitions.StartAsync(config, time, loader: loader);
        var manager = partition.Manager;
        Assert.Equal("1", manager.Snapshot.Models["ctr"].DefaultVersion);

        // Six polls (30 s at the 5 s interval) over unchanged files load nothing.
        for (var poll = 1; poll <= 6; poll++)
        {
            var before = manager.Reconciliations;
            time.Advance(config.PollInterval);
            await TestPartitions.WaitUntilAsync(() => manager.Reconciliations > before, $"poll {poll} reconciled");
        }

        Assert.Equal([1, 1, 1], new[] { "1", "2", "3" }.Select(v => loader.Attempts("ctr", v)));

        // A good model.pt in place of a failed one is loaded once and served.
        models.CopyTo(repo.Path, "ctr", "3");
        await manager.ReconcileAsync(Ct);
        await manager.ReconcileAsync(Ct);

        Assert.Equal([1, 1, 2], new[] { "1", "2", "3" }.Select(v => loader.Attempts("ctr", v)));
        Assert.Equal("3", manager.Snapshot.Models["ctr"].DefaultVersion);
        var response = await partition.Scorer.ScoreAsync(ScoringCases.All[0].ToRequest("ctr"), null, Ct);
        Assert.Equal("3", response.Version);
        Assert.Equal(models.Expected("ctr", "3", 0), response.Scores);
    }

    [Fact]
    public async Task Reconcile_BrokenVersionReplacedByAnotherBrokenFile_IsTriedExactlyOnceMore()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        TestPartitions.WriteBroken(repo.Path, "ctr", "2", "half-written");
        TestPartitions.WriteBroken(repo.Path, "ctr", "3", "not a TorchScript archive");
        var config = TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest()));
        using var loader = new CountingLoader(config);
        await using var partition = await TestPartitions.StartAsync(config, loader: loader);
        for (var pass = 0; pass < 3; pass++)
        {
            await partition.Manager.ReconcileAsync(Ct);
        }

        var attemptsBefore = loader.Attempts("ctr", "2");

        // Another size: a changed file, whatever the clock's resolution.
        TestPartitions.WriteBroken(repo.Path, "ctr", "2", "a longer file that is still not an archive");
        for (var pass = 0; pass < 3; pass++)
        {
            await partition.Manager.ReconcileAsync(Ct);
        }

        Assert.Equal(1, attemptsBefore);
        Assert.Equal(2, loader.Attempts("ctr", "2"));
        Assert.Equal(1, loader.Attempts("ctr", "3"));
        var failed = partition.Manager.Describe()[0].Versions.Single(v => v.Version == "2");
        Assert.Equal(ModelVersionState.Failed, failed.State);
        Assert.Contains(Path.Combine("ctr", "2", "model.pt"), failed.Error, StringComparison.Ordinal);
        Assert.Equal("1", partition.Manager.Snapshot.Models["ctr"].DefaultVersion);
    }

    [Fact]
    public async Task Reconcile_VersionFailingWarmUp_IsNotLoadedAgainWhileUnchanged()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "wrong_outputs", "1");
        var config = TestPartitions.Config(repo.Path, new ModelConfig("wrong_outputs", VersionPolicy.Latest()));
        using var loader = new CountingLoader(config);
        await using var partition = await TestPartitions.StartAsync(config, loader: loader);
        for (var pass = 0; pass < 3; pass++)
        {
            await partition.Manager.ReconcileAsync(Ct);
        }

        Assert.Equal(1, loader.Attempts("wrong_outputs", "1"));
        Assert.Equal(ModelVersionState.Failed, partition.Manager.Describe()[0].Versions.Single().State);
    }

    [Fact]
    public async Task Reconcile_ThreeBrokenVersions_AreEachListedWithItsErrorUntilTheirFilesGo()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        var truncated = models.CopyTo(repo.Path, "ctr", "2");
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..1000]);
        TestPartitions.WriteBroken(repo.Path, "ctr", "3", "half-written");
        models.CopyTo(repo.Path, "ctr", "2", asVersion: "4");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));
        await partition.Manager.ReconcileAsync(Ct);

        var listed = partition.Scorer.ListModels().Models.Single();

        Assert.Equal("1", listed.DefaultVersion);
        Assert.Equal(["4", "3", "2", "1"], listed.Versions.Select(v => v.Version));
        foreach (var version in listed.Versions.Where(v => v.Version != "1"))
        {
            Assert.Equal(Arbor.Contracts.V1.VersionState.Failed, version.State);
            Assert.Contains(Path.Combine("ctr", version.Version, "model.pt"), version.Error, StringComparison.Ordinal);
        }

        Assert.Contains("its signature is for ctr version 2", listed.Versions[0].Error, StringComparison.Ordinal);
        Assert.Equal(Arbor.Contracts.V1.VersionState.Available, listed.Versions[3].State);
        Assert.True(partition.IsReady);
        var response = await partition.Scorer.ScoreAsync(ScoringCases.All[0].ToRequest("ctr"), null, Ct);
        Assert.Equal(models.Expected("ctr", "1", 0), response.Scores);

        Directory.Delete(Path.Combine(repo.Path, "ctr", "3"), recursive: true);
        await partition.Manager.ReconcileAsync(Ct);

        Assert.Equal(["4", "2", "1"], partition.Scorer.ListModels().Models.Single().Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task Reconcile_VersionRemovedFromDisk_IsRetired()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        models.CopyTo(repo.Path, "ctr", "2");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest(2))));
        var two = partition.Manager.Snapshot.Models["ctr"].Versions["2"];

        Directory.Delete(Path.Combine(repo.Path, "ctr", "2"), recursive: true);
        await partition.Manager.ReconcileAsync(Ct);
        await two.Unloaded.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(["1"], partition.Manager.Snapshot.Models["ctr"].Versions.Keys);
        Assert.Equal("1", partition.Manager.Snapshot.Models["ctr"].DefaultVersion);
    }

    [Fact]
    public async Task Start_ModelWithNoVersions_IsNotReadyAndAnswersUnavailable()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "dense", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(
            repo.Path, new ModelConfig("dense", VersionPolicy.Latest()), new ModelConfig("ctr", VersionPolicy.Latest())));

        Assert.False(partition.IsReady);
        var error = await Assert.ThrowsAsync<LeafScoreException>(() => partition.Scorer.ScoreAsync(ScoringCases.All[0].ToRequest("ctr"), null, Ct));
        Assert.Equal(LeafStatusCode.Unavailable, error.Status);

        models.CopyTo(repo.Path, "ctr", "1");
        await partition.Manager.ReconcileAsync(Ct);
        Assert.True(partition.IsReady);
    }

    [Fact]
    public async Task Start_WrongOutputCount_FailsAtWarmUpWithAClearError()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "wrong_outputs", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("wrong_outputs", VersionPolicy.Latest())));

        var version = partition.Manager.Describe()[0].Versions.Single();

        Assert.Equal(ModelVersionState.Failed, version.State);
        Assert.Contains("expected [1, 1]", version.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HotReload_UnderConcurrentLoad_ZeroFailedRequestsAndEveryScoreMatchesItsVersion()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));
        var expected = new[] { "1", "2", "3" }.ToDictionary(v => v, v => models.Expected("ctr", v, 0));
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var served = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();

        async Task ClientAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var response = await partition.Scorer.ScoreAsync(ScoringCases.All[0].ToRequest("ctr"), null, Ct);
                    if (!response.Scores.SequenceEqual(expected[response.Version]))
                    {
                        lock (failures)
                        {
                            failures.Add($"version {response.Version} returned scores of another version");
                        }
                    }

                    served.AddOrUpdate(response.Version, 1, (_, n) => n + 1);
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add(e.Message);
                    }
                }
            }
        }

        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(ClientAsync, Ct)).ToArray();
        await TestPartitions.WaitUntilAsync(() => served.ContainsKey("1"), "version 1 served requests");
        foreach (var (next, previous) in new[] { ("2", "1"), ("3", "2") })
        {
            models.CopyTo(repo.Path, "ctr", next);
            await partition.Manager.ReconcileAsync(Ct);
            Directory.Delete(Path.Combine(repo.Path, "ctr", previous), recursive: true);
            await partition.Manager.ReconcileAsync(Ct);
            await TestPartitions.WaitUntilAsync(() => served.ContainsKey(next), $"version {next} served requests");
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.All(new[] { "1", "2", "3" }, v => Assert.True(served.GetValueOrDefault(v) > 0, $"version {v} served nothing"));
        Assert.Equal(["3"], partition.Manager.Snapshot.Models["ctr"].Versions.Keys);
    }
}
