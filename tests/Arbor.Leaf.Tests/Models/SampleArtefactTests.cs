using Arbor.Leaf.Configuration;
using Arbor.Leaf.Models;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Testing;

namespace Arbor.Leaf.Tests.Models;

public sealed class SampleArtefactTests(SampleModels samples, TestModelSet models)
{
    [Fact]
    public async Task Start_EveryBrokenSampleArtefact_FailsWithItsErrorWhileAGoodModelServes()
    {
        using var repo = new TempDirectory();
        // Each broken artefact is <name>/1/model.pt (failing_repo beside them is a repository of its own: a version that loads and fails some calls).
        var broken = Directory.GetDirectories(samples.BadRoot).Where(d => File.Exists(Path.Combine(d, "1", "model.pt"))).Select(Path.GetFileName).ToList();
        foreach (var name in broken)
        {
            Directory.CreateDirectory(Path.Combine(repo.Path, name!, "1"));
            File.Copy(Path.Combine(samples.BadRoot, name!, "1", "model.pt"), Path.Combine(repo.Path, name!, "1", "model.pt"));
        }

        models.CopyTo(repo.Path, "dense", "1");
        var configs = broken.Select(n => new ModelConfig(n!, VersionPolicy.Latest())).Append(new ModelConfig("dense", VersionPolicy.Latest())).ToArray();
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, configs));

        var statuses = partition.Manager.Describe().ToDictionary(m => m.Name);
        Assert.True(broken.Count >= 5, $"expected the sample's broken artefacts, found {broken.Count}");
        foreach (var name in broken)
        {
            var version = Assert.Single(statuses[name!].Versions);
            Assert.Equal(ModelVersionState.Failed, version.State);
            Assert.False(string.IsNullOrWhiteSpace(version.Error), $"{name}: no error reported");
        }

        Assert.Equal("1", statuses["dense"].DefaultVersion);
        Assert.False(partition.IsReady);
    }
}
