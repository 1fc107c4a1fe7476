using Arbor.Release.Planning;
using Arbor.Release.Tests.Fixtures;
using Arbor.Signatures.Bundles;
using Arbor.Testing;
using FsCheck;
using FsCheck.Fluent;

namespace Arbor.Release.Tests.Planning;

public sealed class ReleasePlannerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualTimeProvider _time = new();
    private readonly TestModelRepository _repo;
    private readonly Release.Environments.ReleaseEnvironments _envs;

    public ReleasePlannerTests()
    {
        _repo = new TestModelRepository(_dir.Combine("repo"));
        _repo.AddVersion("ctr", "1", TestModelRepository.Features(0, 10));
        _repo.AddVersion("ctr", "2", TestModelRepository.Features(5, 10));
        _repo.AddVersion("exp", "1", TestModelRepository.Features(50, 4));
        _envs = TestEnvironments.Create(_dir.Combine("envs"));
        TestEnvironments.Seed(_envs, _repo, "homefeed", ("ctr", "1"), ("exp", "1"));
    }

    public void Dispose() => _dir.Dispose();

    private ReleasePlan Plan(params string[] ships) =>
        new ReleasePlanner(_time).Plan(_envs, new ReleaseRequest(_repo.Path, [.. ships.Select(ModelVersionRef.Parse)]));

    [Fact]
    public void Plan_NewVersion_RootConfigsLeadModelConfigsInEveryEnvironmentThenCanaryThenFinalize()
    {
        var plan = Plan("ctr:2");

        Assert.Equal(
            [(ReleaseStepKind.RootConfig, "canary"), (ReleaseStepKind.ModelConfig, "canary"), (ReleaseStepKind.CanaryAnalysis, "canary"),
             (ReleaseStepKind.RootConfig, "production"), (ReleaseStepKind.ModelConfig, "production"), (ReleaseStepKind.Finalize, "canary")],
            plan.Steps.Select(s => (s.Kind, s.Environments[0])));
        Assert.Equal(["canary", "production"], TestEnvironments.StepOf(plan, ReleaseStepKind.CanaryAnalysis).Environments);
        Assert.Equal(["canary", "production"], TestEnvironments.StepOf(plan, ReleaseStepKind.Finalize).Environments);
        Assert.Equal(Enumerable.Range(1, 6), plan.Steps.Select(s => s.Number));
        var publish = Assert.Single(TestEnvironments.StepOf(plan, ReleaseStepKind.ModelConfig, "canary").Publishes);
        Assert.Equal(("ctr", "2", Path.Combine(_repo.Path, "ctr", "2")), (publish.Model, publish.Version, publish.Source));
    }

    [Fact]
    public void Plan_RootConfigStep_CarriesBothAllowlistsAndKeepsLatestOnTheServedVersionWidenedWithThePending()
    {
        var plan = Plan("ctr:2");

        var write = Assert.Single(TestEnvironments.StepOf(plan, ReleaseStepKind.RootConfig, "canary").Bundles);
        var ctr = write.Document.Models["ctr"];
        Assert.Equal(["1", "2"], ctr.Versions.Keys.Order());
        Assert.Equal("1", ctr.Latest);
        Assert.Equal(TestModelRepository.Features(5, 10), ctr.Versions["2"].Features);
        // Whichever of 1 and 2 a leaf serves by default, a request naming no version carries what it needs.
        Assert.Equal(TestModelRepository.Features(0, 15), ctr.Versions["1"].Features);
        Assert.NotNull(BundleJson.Parse(write.Content));
    }

    [Fact]
    public void Plan_FinalizeStep_MakesThePendingVersionLatestWithItsExactAllowlist()
    {
        var plan = Plan("ctr:2");

        var final = TestEnvironments.StepOf(plan, ReleaseStepKind.Finalize).Bundles;
        Assert.Equal(["canary", "production"], final.Select(b => b.Environment));
        var ctr = final[0].Document.Models["ctr"];
        Assert.Equal("2", ctr.Latest);
        Assert.Equal(TestModelRepository.Features(5, 10), ctr.Versions["2"].Features);
        Assert.Equal(TestModelRepository.Features(0, 10), ctr.Versions["1"].Features);
    }

    [Fact]
    public void Plan_ModelsTheReleaseDoesNotShip_KeepTheirAllowlistsUntouched()
    {
        var before = TestEnvironments.ReadBundle(_envs.Get("canary"), "homefeed").Models["exp"];

        var plan = Plan("ctr:2");

        foreach (var write in plan.Steps.SelectMany(s => s.Bundles))
        {
            Assert.Equal(before.Latest, write.Document.Models["exp"].Latest);
            Assert.Equal(before.Versions["1"].Features, write.Document.Models["exp"].Versions["1"].Features);
        }
    }

    [Fact]
    public void Plan_NewModel_IsLatestAtOnceAndGoesToTheBundleOfItsPartition()
    {
        _repo.AddVersion("rel", "1", TestModelRepository.Features(60, 3));

        var plan = Plan("rel:1");

        var write = Assert.Single(TestEnvironments.StepOf(plan, ReleaseStepKind.RootConfig, "canary").Bundles);
        Assert.Equal("related", write.Bundle);
        Assert.Equal("1", write.Document.Models["rel"].Latest);
        Assert.Contains(plan.Warnings, w => w.Contains("related.json is new", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_SignatureNeedsAFeatureTheRegistryLacks_IsRefusedNamingIt()
    {
        _repo.AddVersion("ctr", "3", [.. TestModelRepository.Features(0, 3), "not_registered"]);

        var refused = Assert.Throws<ReleasePlanException>(() => Plan("ctr:3"));

        var problem = Assert.Single(refused.Problems);
        Assert.Contains("ctr:3", problem, StringComparison.Ordinal);
        Assert.Contains("'not_registered'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_VersionFailingTheModelCheck_IsRefusedNamingItsInput()
    {
        var check = new FakeModelCheck().Fail("ctr", "2", "dense", "forward takes 4 columns for dense input 'dense'");

        var refused = Assert.Throws<ReleasePlanException>(() =>
            new ReleasePlanner(_time, check).Plan(_envs, new ReleaseRequest(_repo.Path, [ModelVersionRef.Parse("ctr:2")])));

        var problem = Assert.Single(refused.Problems);
        Assert.Equal("ctr:2 fails the model check: input 'dense': forward takes 4 columns for dense input 'dense'", problem);
        var call = Assert.Single(check.Calls);
        Assert.Equal(("ctr", "2", Path.Combine(_repo.Path, "ctr", "2", "model.pt")), (call.Model, call.Version, call.Archive));
        Assert.NotNull(call.Registry);
    }

    [Fact]
    public void Plan_VersionPassingTheModelCheck_IsPlanned()
    {
        var check = new FakeModelCheck().Fail("ctr", "1", "dense", "only the served version fails");

        var plan = new ReleasePlanner(_time, check).Plan(_envs, new ReleaseRequest(_repo.Path, [ModelVersionRef.Parse("ctr:2")]));

        Assert.Equal("ctr:2", Assert.Single(plan.Ships).ToString());
    }

    [Fact]
    public void Plan_VersionWithoutAValidSignature_IsRefused()
    {
        Directory.CreateDirectory(Path.Combine(_repo.Path, "ctr", "3"));
        File.WriteAllText(Path.Combine(_repo.Path, "ctr", "3", "model.pt"), "not a zip");

        var refused = Assert.Throws<ReleasePlanException>(() => Plan("ctr:3"));

        Assert.Contains(refused.Problems, p => p.Contains("ctr:3: no valid signature", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_VersionNotNewerThanTheServedOne_IsRefused()
    {
        _repo.AddVersion("ctr", "0", TestModelRepository.Features(0, 2));

        var refused = Assert.Throws<ReleasePlanException>(() => Plan("ctr:0"));

        Assert.All(refused.Problems, p => Assert.Contains("not newer than version 1", p, StringComparison.Ordinal));
        Assert.Equal(2, refused.Problems.Count);
    }

    [Fact]
    public void Plan_VersionAlreadyPublished_IsRefused()
    {
        var refused = Assert.Throws<ReleasePlanException>(() => Plan("ctr:1"));

        Assert.Contains(refused.Problems, p => p.Contains("already published in canary", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_MissingRegistry_IsRefused()
    {
        File.Delete(Path.Combine(_repo.Path, "feature_registry.json"));

        var refused = Assert.Throws<ReleasePlanException>(() => Plan("ctr:2"));

        Assert.Contains(refused.Problems, p => p.Contains("feature registry", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_RecordsWhatEachEnvironmentHeldBefore()
    {
        var plan = Plan("ctr:2");

        var canary = plan.Before.Single(b => b.Environment == "canary");
        Assert.Equal(["1"], canary.Models["ctr"]);
        Assert.Equal(_envs.Get("canary").BundleHash("homefeed"), canary.Bundles["homefeed"]);
    }

    [Fact]
    public void Compose_AnyCurrentAndPendingAllowlists_LatestCoversBothAndEachVersionKeepsItsOwn()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<bool[]>(), ArbMap.Default.ArbFor<bool[]>(), (currentBits, pendingBits) =>
        {
            var current = Pick(currentBits, "a");
            var pending = Pick(pendingBits, "b");
            if (current.Count == 0 || pending.Count == 0)
            {
                return true;
            }

            var document = BundleComposer.Compose("b", null,
                [new ComposedModel("m", [new VersionSignature("m", "1", current, new string('a', 64)), new VersionSignature("m", "2", pending, new string('b', 64))], "1", [new VersionSignature("m", "2", pending, new string('b', 64))])],
                DateTimeOffset.UnixEpoch);
            var model = document.Models["m"];
            return model.Versions["1"].Features.ToHashSet().SetEquals(current.Union(pending))
                && model.Versions["2"].Features.SequenceEqual(pending.Order(StringComparer.Ordinal))
                && BundleJson.TryParse(BundleJson.ToUtf8Bytes(document), out _, out _);
        }).QuickCheckThrowOnFailure();
    }

    private static List<string> Pick(bool[] bits, string prefix) =>
        [.. (bits ?? []).Take(40).Select((b, i) => (b, i)).Where(x => x.b).Select(x => TestModelRepository.Feature(x.i)).Concat(bits is { Length: > 3 } ? [prefix] : [])];
}
