using Arbor.Leaf.Configuration;
using Arbor.Leaf.Models;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Testing;

namespace Arbor.Leaf.Tests.Models;

public sealed class SampleArtefactTests(SampleModels samples, TestModelSet models)
{
    // They disagree only with the feature registry, which a leaf does not read (its dims, its
    // features, its id ranges: warm-up sends empty id lists): they load and serve (on defaults, or
    // failing requests), and only `arbor model check` catches them.
    private static readonly string[] DisagreeOnlyWithTheRegistry = ["vector_dim_mismatch", "feature_not_in_registry", "id_out_of_range"];

    [Fact]
    public async Task Start_EveryBrokenSampleArtefact_FailsWithItsErrorWhileAGoodModelServes()
    {
        using var repo = new TempDirectory();
        var broken = SampleModelRepository.BrokenArtefacts().Select(Path.GetFileName).ToList();
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
            if (DisagreeOnlyWithTheRegistry.Contains(name))
            {
                Assert.Equal(ModelVersionState.Available, version.State);
                continue;
            }

            Assert.Equal(ModelVersionState.Failed, version.State);
            Assert.False(string.IsNullOrWhiteSpace(version.Error), $"{name}: no error reported");
        }

        // A warm-up failure names what disagrees with the signature, not only libtorch's shape error.
        Assert.Contains("input 'dense': forward takes 4 columns", statuses["dense_width_mismatch"].Versions[0].Error, StringComparison.Ordinal);
        Assert.Contains("forward returns 1 score column, the signature lists 2 outputs", statuses["wrong_output_count"].Versions[0].Error, StringComparison.Ordinal);
        Assert.Equal("1", statuses["dense"].DefaultVersion);
        Assert.False(partition.IsReady);
    }
}
