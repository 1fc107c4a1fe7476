using System.Diagnostics;
using System.Text.Json.Nodes;
using Arbor.Contracts.V1;
using Arbor.Leaf.Checking;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Native;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Signatures;
using Arbor.Testing;

namespace Arbor.Leaf.Tests.Native;

/// <summary>
/// The worked example of docs/model-signature.md, run as written: the model it builds loads through
/// the leaf's libtorch path, scores as PyTorch did, and passes the model check against the sample registry.
/// </summary>
public sealed class DocumentedModelExampleTests : IDisposable
{
    private readonly TempDirectory _directory = new("arbor-doc-example-");

    [Fact]
    public void WorkedExample_BuildsAModelTheLeafLoadsAndScoresAsPyTorchDid()
    {
        var archive = RunExample();

        using var model = TorchModel.Load(archive);
        var signature = ModuleInfoParser.Parse(model.SignatureJson);
        Assert.Equal(("my_ctr", "1"), (signature.Model, signature.Version));
        var converter = new FeatureConverter(signature);
        using var batch = converter.Convert(new LeafScoreRequest { Model = "my_ctr", RowCount = 2 });
        var output = new float[batch.RowCount * signature.Outputs.Count];

        var (rows, cols) = model.Forward(batch.Arguments, output);

        Assert.Equal((2, signature.Outputs.Count), (rows, cols));
        var python = JsonNode.Parse(File.ReadAllText(_directory.Combine("my-repo", "my_ctr", "1", "all_defaults.json")))!
            .AsArray().SelectMany(row => row!.AsArray().Select(v => (float)v!.GetValue<double>())).ToArray();
        Assert.Equal(python, output);
    }

    [Fact]
    public void WorkedExample_PassesTheModelCheckAgainstTheSampleRegistry()
    {
        var archive = RunExample();
        var registry = FeatureRegistryJson.Parse(File.ReadAllText(Path.Combine(SampleModelRepository.Root, "feature_registry.json")));

        var problems = new ModelChecker().Check("my_ctr", "1", archive, registry);

        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    public void Dispose() => _directory.Dispose();

    private string RunExample()
    {
        var script = _directory.Combine("make_model.py");
        File.WriteAllText(script, DocumentationExamples.Read("model-signature.md", "make_model.py"));
        var start = new ProcessStartInfo(TestModelSet.Python, [script])
        {
            WorkingDirectory = _directory.Path,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {TestModelSet.Python}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill();
            throw new TimeoutException("the documented make_model.py did not finish in 3 minutes");
        }

        Assert.True(process.ExitCode == 0, $"the documented make_model.py failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        return _directory.Combine("my-repo", "my_ctr", "1", "model.pt");
    }
}
