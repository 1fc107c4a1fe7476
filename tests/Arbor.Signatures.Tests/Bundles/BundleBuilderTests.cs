using Arbor.Signatures.Bundles;
using Arbor.Signatures.Tests.SampleModels;
using Arbor.Testing;

namespace Arbor.Signatures.Tests.Bundles;

public sealed class BundleBuilderTests : IDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 2, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void Build_RepositoryWithBrokenVersions_SkipsEachWithItsReasonAndKeepsTheRest()
    {
        CopyModel(SampleRepository.Path, "homefeed_ctr");
        var version = 10;
        foreach (var bad in SampleModelRepository.BrokenArtefacts())
        {
            CopyDirectory(Path.Combine(bad, "1"), _repo.Combine("homefeed_ctr", (version++).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Directory.CreateDirectory(_repo.Combine("homefeed_ctr", "50"));
        var result = new BundleBuilder(_time).Build(new BundleBuildRequest(_repo.Path, "homefeed"));

        var model = Assert.Single(result.Document.Models).Value;
        Assert.Equal(["1", "2", "3"], model.Versions.Keys.Order());
        Assert.Equal("3", model.Latest);
        var reasons = result.Warnings.Select(w => w.Reason).ToList();
        Assert.Contains(reasons, r => r.Contains("no signature entry", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("not valid JSON", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("unknown kind 'sparse'", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("not a zip archive", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("signature names wrong_name/7", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Version == "50" && w.Reason.Contains("no model.pt", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_WithModelCheck_ListsAFailingVersionButMakesTheGreatestPassingOneLatest()
    {
        var check = new FakeModelCheck().Fail("homefeed_ctr", "3", "dense", "forward takes 4 columns");

        var result = new BundleBuilder(_time).Build(new BundleBuildRequest(SampleRepository.Path, "homefeed", Models: ["homefeed_ctr"], Check: check));

        var model = Assert.Single(result.Document.Models).Value;
        Assert.Equal(["1", "2", "3"], model.Versions.Keys.Order());
        Assert.Equal("2", model.Latest);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("homefeed_ctr/3: listed but never made latest: it fails the model check: input 'dense': forward takes 4 columns", warning.ToString());
        Assert.Equal(["1", "2", "3"], check.Calls.Select(c => c.Version));
    }

    [Fact]
    public void Build_WithModelCheck_RefusesWhenNoVersionOfAModelPasses()
    {
        var check = new FakeModelCheck().Fail("related_mt_exp_a", "1", "dense", "bad").Fail("related_mt_exp_a", "2", "ids", "worse");

        var refused = Assert.Throws<BundleException>(() => new BundleBuilder(_time).Build(
            new BundleBuildRequest(SampleRepository.Path, "related", Models: ["related_mt", "related_mt_exp_a"], Check: check)));

        var problem = Assert.Single(refused.Problems);
        Assert.Equal("models.related_mt_exp_a.latest", problem.Path);
        Assert.Contains("no version of related_mt_exp_a passes the model check", problem.Message, StringComparison.Ordinal);
        Assert.Contains("2 (input 'ids': worse)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_WithModelCheck_RefusesAFailingVersionNamedAsLatest()
    {
        var check = new FakeModelCheck().Fail("homefeed_ctr", "2", "dense", "bad");

        var refused = Assert.Throws<BundleException>(() => new BundleBuilder(_time).Build(new BundleBuildRequest(
            SampleRepository.Path, "homefeed", Models: ["homefeed_ctr"], Latest: new Dictionary<string, string> { ["homefeed_ctr"] = "2" }, Check: check)));

        Assert.Contains("homefeed_ctr:2 is requested as latest but fails the model check", Assert.Single(refused.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SameInputsTwice_WritesIdenticalBytes()
    {
        CopyModel(SampleRepository.Path, "related_mt");
        var builder = new BundleBuilder(_time);

        var first = BundleJson.ToUtf8Bytes(builder.Build(new BundleBuildRequest(_repo.Path, "related")).Document);
        var second = BundleJson.ToUtf8Bytes(builder.Build(new BundleBuildRequest(_repo.Path, "related")).Document);

        Assert.Equal(first, second);
        Assert.Equal("2026-02-01T12:00:00Z", BundleJson.Parse(first).GeneratedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Build_ExplicitVersions_IncludesOnlyThoseAndTheGreatestIsLatest()
    {
        var result = new BundleBuilder(_time).Build(new BundleBuildRequest(SampleRepository.Path, "homefeed",
            Versions: [ModelVersionRef.Parse("homefeed_ctr:2"), ModelVersionRef.Parse("homefeed_ctr:3"), ModelVersionRef.Parse("related_mt:1")]));

        Assert.Empty(result.Warnings);
        Assert.Equal(["homefeed_ctr", "related_mt"], result.Document.Models.Keys.Order());
        Assert.Equal(["2", "3"], result.Document.Models["homefeed_ctr"].Versions.Keys.Order());
        Assert.Equal("3", result.Document.Models["homefeed_ctr"].Latest);
    }

    [Fact]
    public void Build_LatestOverride_MarksTheCurrentVersionDuringARollout()
    {
        var result = new BundleBuilder(_time).Build(new BundleBuildRequest(SampleRepository.Path, "homefeed",
            Versions: [ModelVersionRef.Parse("homefeed_ctr:2"), ModelVersionRef.Parse("homefeed_ctr:3")],
            Latest: new Dictionary<string, string> { ["homefeed_ctr"] = "2" }));

        Assert.Equal("2", result.Document.Models["homefeed_ctr"].Latest);
    }

    [Fact]
    public void Build_LatestOverrideNotInBundle_WarnsAndUsesGreatest()
    {
        var result = new BundleBuilder(_time).Build(new BundleBuildRequest(SampleRepository.Path, "homefeed",
            Versions: [ModelVersionRef.Parse("homefeed_ctr:2")],
            Latest: new Dictionary<string, string> { ["homefeed_ctr"] = "3" }));

        Assert.Equal("2", result.Document.Models["homefeed_ctr"].Latest);
        Assert.Contains("requested as latest but not in the bundle", Assert.Single(result.Warnings).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_BundleNamedInPartitionManifest_TakesItsModels()
    {
        var result = new BundleBuilder(_time).Build(new BundleBuildRequest(SampleRepository.Path, "related"));

        Assert.Empty(result.Warnings);
        Assert.Equal(["related_mt", "related_mt_exp_a"], result.Document.Models.Keys.Order());
    }

    [Fact]
    public void Build_ListedModelAbsent_WarnsAndSkipsIt()
    {
        var result = new BundleBuilder(_time).Build(new BundleBuildRequest(SampleRepository.Path, "x", Models: ["related_mt", "no_such_model"]));

        Assert.Equal(["related_mt"], result.Document.Models.Keys);
        Assert.Contains("model not found in the repository", Assert.Single(result.Warnings).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_MissingRepository_FailsNamingIt()
    {
        var ex = Assert.Throws<BundleException>(() => new BundleBuilder(_time).Build(new BundleBuildRequest(_repo.Combine("nope"), "b")));

        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("m")]
    [InlineData("m:")]
    [InlineData(":1")]
    [InlineData("../m:1")]
    public void ModelVersionRef_Malformed_Throws(string text)
    {
        Assert.Throws<FormatException>(() => ModelVersionRef.Parse(text));
    }

    private void CopyModel(string repository, string model) =>
        CopyDirectory(Path.Combine(repository, model), _repo.Combine(model));

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
