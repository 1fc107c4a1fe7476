using System.Text.Json;
using Arbor.Signatures.Archives;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Signatures;

namespace Arbor.Signatures.Tests.SampleModels;

/// <summary>The generated sample repository keeps the promises other components rely on.</summary>
public sealed class SampleRepositoryTests
{
    public static TheoryData<string, string> Versions()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in ModelRepositoryLayout.ListModels(SampleRepository.Path))
        {
            foreach (var version in ModelRepositoryLayout.ListVersions(SampleRepository.Path, model))
            {
                data.Add(model, version);
            }
        }

        return data;
    }

    [Fact]
    public void Repository_HasTwoPartitionsOfSeveralModelsAndVersions()
    {
        var manifest = PartitionManifestJson.ReadFile(Path.Combine(SampleRepository.Path, PartitionManifest.FileName));

        Assert.Equal(["homefeed", "related"], manifest.Partitions.Keys.Order());
        foreach (var partition in manifest.Partitions.Values)
        {
            Assert.True(partition.Models.Count >= 2);
            foreach (var model in partition.Models)
            {
                Assert.Equal(partition.Versions[model], ModelRepositoryLayout.ListVersions(SampleRepository.Path, model));
            }
        }

        Assert.True(Versions().Count >= 8);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Version_SignatureUsesTwentyToFortyPercentOfARegistryItFullyMatches(string model, string version)
    {
        var registry = FeatureRegistryJson.ReadFile(Path.Combine(SampleRepository.Path, "feature_registry.json"));
        var signature = ModelArchiveReader.Read(ModelRepositoryLayout.ModelPath(SampleRepository.Path, model, version)).Info;

        Assert.Equal((model, version), (signature.Model, signature.Version));
        Assert.Empty(FeatureRegistryCheck.Check(registry, [signature]));
        var share = (double)signature.Features.Count() / registry.Features.Count;
        Assert.InRange(share, 0.20, 0.40);
        Assert.Contains(signature.Features, f => registry.Features.Single(d => d.Name == f).Entity == FeatureEntity.User);
        Assert.Contains(signature.Features, f => registry.Features.Single(d => d.Name == f).Entity == FeatureEntity.Candidate);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Version_GoldenFileCoversDefaultsAndTruncation(string model, string version)
    {
        var signature = ModelArchiveReader.Read(ModelRepositoryLayout.ModelPath(SampleRepository.Path, model, version)).Info;
        using var golden = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SampleRepository.Path, model, version, ModelRepositoryLayout.GoldenFileName)));
        var root = golden.RootElement;

        Assert.Equal(model, root.GetProperty("model").GetString());
        Assert.Equal(version, root.GetProperty("version").GetString());
        Assert.Equal(signature.Outputs.Select(o => o.Name), root.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()));
        var rows = root.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("features")).ToList();
        var scores = root.GetProperty("scores").EnumerateArray().ToList();
        Assert.InRange(rows.Count, 16, 64);
        Assert.Equal(rows.Count, scores.Count);
        Assert.All(scores, s => Assert.Equal(signature.Outputs.Count, s.GetArrayLength()));
        Assert.All(scores.SelectMany(s => s.EnumerateArray()), s => Assert.InRange(s.GetDouble(), 0.0, 1.0));
        Assert.All(scores.SelectMany(s => s.EnumerateArray()), s => Assert.Equal(s.GetDouble(), (double)(float)s.GetDouble()));

        var allowlist = signature.Features.ToHashSet(StringComparer.Ordinal);
        Assert.All(rows, r => Assert.All(r.EnumerateObject(), p => Assert.Contains(p.Name, allowlist)));
        Assert.Contains(rows, r => signature.Features.Any(f => !r.TryGetProperty(f, out _)));
        foreach (var input in signature.Inputs.Where(i => i.Kind == InputKind.IdList))
        {
            Assert.Contains(rows, r => r.TryGetProperty(input.Features[0], out var ids) && ids.GetArrayLength() > input.MaxLength);
        }

        foreach (var input in signature.Inputs.Where(i => i.Kind == InputKind.Vector))
        {
            Assert.All(rows.Where(r => r.TryGetProperty(input.Features[0], out _)), r => Assert.Equal(input.Dim, r.GetProperty(input.Features[0]).GetArrayLength()));
        }
    }

    [Fact]
    public void Versions_IncludeOneThatAddsAndOneThatDropsFeatures()
    {
        static HashSet<string> Allowlist(string version) =>
            ModelArchiveReader.Read(ModelRepositoryLayout.ModelPath(SampleRepository.Path, "homefeed_ctr", version)).Info.Features.ToHashSet();

        var (v1, v2, v3) = (Allowlist("1"), Allowlist("2"), Allowlist("3"));

        Assert.True(v1.IsProperSubsetOf(v2));
        Assert.True(v3.IsProperSubsetOf(v2));
    }

    [Fact]
    public void FeatureData_HoldsEveryEntityWithRegistryFeaturesOnly()
    {
        var registry = FeatureRegistryJson.ReadFile(Path.Combine(SampleRepository.Path, "feature_registry.json"))
            .Features.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var entities = new Dictionary<string, int>(StringComparer.Ordinal);
        var absentSomewhere = false;

        foreach (var line in File.ReadLines(Path.Combine(SampleRepository.Path, "features.jsonl")))
        {
            using var entity = JsonDocument.Parse(line);
            var kind = entity.RootElement.GetProperty("entity").GetString()!;
            entities[kind] = entities.GetValueOrDefault(kind) + 1;
            var features = entity.RootElement.GetProperty("features");
            foreach (var feature in features.EnumerateObject())
            {
                Assert.Equal(kind, FeatureRegistryJson.EntityName(registry[feature.Name].Entity));
            }

            absentSomewhere |= features.EnumerateObject().Count() < registry.Values.Count(f => FeatureRegistryJson.EntityName(f.Entity) == kind);
        }

        Assert.Equal(500, entities["user"]);
        Assert.True(entities["candidate"] >= 1000);
        Assert.True(absentSomewhere);
    }

    [Fact]
    public void BadArtefacts_EachFailWithTheirOwnReason()
    {
        static string Reason(string name) => Assert.Throws<SignatureException>(
            () => ModelArchiveReader.Read(Path.Combine(SampleRepository.BadPath, name, "1", ModelRepositoryLayout.ModelFileName))).Message;

        Assert.Contains("no signature entry", Reason("no_signature"), StringComparison.Ordinal);
        Assert.Contains("not valid JSON", Reason("corrupt_json"), StringComparison.Ordinal);
        Assert.Contains("unknown kind 'sparse'", Reason("invalid_signature"), StringComparison.Ordinal);
        Assert.Contains("not a zip archive", Reason("truncated"), StringComparison.Ordinal);
        Assert.Contains("not a zip archive", Reason("not_a_zip"), StringComparison.Ordinal);
    }
}
