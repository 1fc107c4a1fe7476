using Arbor.Testing;

[assembly: AssemblyFixture(typeof(Arbor.Leaf.Tests.TestModels.SampleModels))]

namespace Arbor.Leaf.Tests.TestModels;

/// <summary>
/// The sample model repository (models/generate.sh: real multi-input models with golden scores),
/// generated once if missing or stale (see <see cref="SampleModelRepository"/>).
/// </summary>
public sealed class SampleModels
{
    public SampleModels()
    {
        Root = SampleModelRepository.Root;
    }

    /// <summary>The repository: &lt;Root&gt;/&lt;model&gt;/&lt;version&gt;/{model.pt, golden.json}.</summary>
    public string Root { get; }

    /// <summary>Deliberately broken versions (&lt;BadRoot&gt;/&lt;name&gt;/1/model.pt).</summary>
    public string BadRoot => Root + ".bad";

    /// <summary>Every (model, version) in the repository.</summary>
    public IReadOnlyList<(string Model, string Version)> Versions() => SampleModelRepository.Versions();

    public string GoldenPath(string model, string version) => Path.Combine(Root, model, version, "golden.json");
}
