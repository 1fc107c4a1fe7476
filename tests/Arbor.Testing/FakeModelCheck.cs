using Arbor.Signatures.Checking;
using Arbor.Signatures.Registry;

namespace Arbor.Testing;

/// <summary>A model check that finds the problems it is given for the versions it is given, and records every call.</summary>
public sealed class FakeModelCheck : IModelVersionCheck
{
    private readonly Dictionary<(string Model, string Version), ModelCheckProblem[]> _problems = [];

    /// <summary>Every (model, version, archive, registry) checked, in order.</summary>
    public List<(string Model, string Version, string Archive, FeatureRegistry? Registry)> Calls { get; } = [];

    /// <summary>Makes <paramref name="model"/>:<paramref name="version"/> fail with one problem on <paramref name="input"/>.</summary>
    public FakeModelCheck Fail(string model, string version, string input, string message)
    {
        _problems[(model, version)] = [new ModelCheckProblem(model, version, ModelCheckProblemKind.InputWidth, message, input)];
        return this;
    }

    public IReadOnlyList<ModelCheckProblem> Check(string model, string version, string archivePath, FeatureRegistry? registry)
    {
        Calls.Add((model, version, archivePath, registry));
        return _problems.TryGetValue((model, version), out var problems) ? problems : [];
    }
}
