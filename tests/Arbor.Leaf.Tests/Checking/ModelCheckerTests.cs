using System.Text.Json;
using Arbor.Leaf.Checking;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Checking;
using Arbor.Signatures.Registry;

namespace Arbor.Leaf.Tests.Checking;

public sealed class ModelCheckerTests(SampleModels samples)
{
    private readonly ModelChecker _checker = new();

    private FeatureRegistry Registry => FeatureRegistryJson.ReadFile(Path.Combine(samples.Root, "feature_registry.json"));

    [Fact]
    public void Run_SampleRepository_EveryVersionChecksClean()
    {
        var report = RepositoryCheck.Run(_checker, samples.Root, Registry, "feature_registry.json");

        Assert.Equal(samples.Versions(), report.Versions.Select(v => (v.Model, v.Version)));
        Assert.All(report.Versions, v => Assert.True(v.Clean, $"{v.Model}/{v.Version}: {string.Join("; ", v.Problems)}"));
        Assert.True(report.Clean);
    }

    public static TheoryData<string, ModelCheckProblemKind, string?, string?, string> MismatchedModels => new()
    {
        { "dense_width_mismatch", ModelCheckProblemKind.InputWidth, "dense", null, "forward takes 4 columns for dense input 'dense', the signature gives it 3 features" },
        { "vector_dim_mismatch", ModelCheckProblemKind.DimMismatch, "pin_emb", "pin_embedding_v3", "registry dim 64 differs from vector input 'pin_emb' dim 32" },
        { "feature_not_in_registry", ModelCheckProblemKind.MissingFeature, "dense", "pin_ctr_365d", "not in the feature registry" },
        { "wrong_output_count", ModelCheckProblemKind.OutputCount, null, null, "forward returns 1 score column, the signature lists 2 outputs (p_click, p_save)" },
        { "wrong_output_dtype", ModelCheckProblemKind.OutputType, null, null, "dtype Double, expected float32" },
        { "id_out_of_range", ModelCheckProblemKind.IdRange, "interests", "user_interest_ids", "forward fails on ids 0..4999 of id_list input 'interests'" },
    };

    [Theory]
    [MemberData(nameof(MismatchedModels))]
    public void Check_VersionDisagreeingWithItsForwardOrTheRegistry_NamesTheInputAndFeature(
        string model, ModelCheckProblemKind kind, string? input, string? feature, string message)
    {
        var problems = _checker.Check(model, "1", Archive(model), Registry);

        var problem = Assert.Single(problems);
        Assert.Equal((model, "1", kind, input, feature), (problem.Model, problem.Version, problem.Kind, problem.Input, problem.Feature));
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vector_dim_mismatch")]
    [InlineData("feature_not_in_registry")]
    public void Check_WithoutRegistry_RegistryOnlyProblemsGoUnseen(string model)
    {
        Assert.Empty(_checker.Check(model, "1", Archive(model), registry: null));
    }

    [Theory]
    [InlineData("no_signature", "has no extra file module_info.json")]
    [InlineData("corrupt_json", "not valid JSON")]
    [InlineData("invalid_signature", "unknown kind 'sparse'")]
    [InlineData("wrong_name", "its signature is for wrong_name version 7")]
    [InlineData("truncated", "zip archive")]
    [InlineData("not_a_zip", "zip archive")]
    public void Check_UnloadableArchive_ReportsWhy(string model, string message)
    {
        var problem = Assert.Single(_checker.Check(model, "1", Archive(model), Registry));

        Assert.Equal(ModelCheckProblemKind.Unloadable, problem.Kind);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_BrokenRepository_ReportsEveryVersionInTextAndJson()
    {
        var report = RepositoryCheck.Run(_checker, samples.BadRoot, Registry, "feature_registry.json");

        Assert.False(report.Clean);
        Assert.All(report.Versions, v => Assert.False(v.Clean, $"{v.Model}/{v.Version} checked clean"));
        var text = report.ToText();
        Assert.Contains("dense_width_mismatch/1: 1 problem", text, StringComparison.Ordinal);
        Assert.Contains("  input_width: input 'dense': forward takes 4 columns", text, StringComparison.Ordinal);
        Assert.Contains($"model check: {report.Versions.Count} versions, {report.Versions.Count} with problems", text, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.False(json.RootElement.GetProperty("clean").GetBoolean());
        Assert.Equal(report.ProblemCount, json.RootElement.GetProperty("problems").GetInt32());
        var missing = json.RootElement.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("model").GetString() == "feature_not_in_registry");
        var entry = Assert.Single(missing.GetProperty("problems").EnumerateArray());
        Assert.Equal(("missing_feature", "dense", "pin_ctr_365d"), (entry.GetProperty("kind").GetString(), entry.GetProperty("input").GetString(), entry.GetProperty("feature").GetString()));
    }

    [Fact]
    public void Run_OneNamedVersion_ChecksOnlyIt()
    {
        var report = RepositoryCheck.Run(_checker, samples.BadRoot, Registry, model: "wrong_output_count", version: "1");

        var only = Assert.Single(report.Versions);
        Assert.Equal(("wrong_output_count", "1"), (only.Model, only.Version));
    }

    [Fact]
    public void Run_NamedVersionNotInRepository_IsAProblem()
    {
        var report = RepositoryCheck.Run(_checker, samples.Root, Registry, model: "homefeed_ctr", version: "99");

        var problem = Assert.Single(Assert.Single(report.Versions).Problems);
        Assert.Equal(ModelCheckProblemKind.Unloadable, problem.Kind);
    }

    [Theory]
    [InlineData("../etc", null)]
    [InlineData(null, "1")]
    public void Run_BadSelection_IsRefused(string? model, string? version)
    {
        Assert.Throws<ArgumentException>(() => RepositoryCheck.Run(_checker, samples.Root, Registry, model: model, version: version));
    }

    [Fact]
    public void BundleBuild_WithTheModelCheck_RefusesAModelWhoseOnlyVersionFailsAndKeepsTheCleanOnes()
    {
        var refused = Assert.Throws<BundleException>(() => new BundleBuilder(TimeProvider.System).Build(new BundleBuildRequest(
            samples.BadRoot, "bad", Models: ["dense_width_mismatch", "feature_not_in_registry"], Check: _checker, Registry: Registry)));

        Assert.Equal(["models.dense_width_mismatch.latest", "models.feature_not_in_registry.latest"], refused.Problems.Select(p => p.Path));
        Assert.Contains("input 'dense': forward takes 4 columns", refused.Problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("feature 'pin_ctr_365d'", refused.Problems[1].Message, StringComparison.Ordinal);

        var built = new BundleBuilder(TimeProvider.System).Build(new BundleBuildRequest(samples.Root, "homefeed", Check: _checker, Registry: Registry));
        Assert.Empty(built.Warnings);
        Assert.Equal("3", built.Document.Models["homefeed_ctr"].Latest);
    }

    private string Archive(string model) => Path.Combine(samples.BadRoot, model, "1", "model.pt");
}
