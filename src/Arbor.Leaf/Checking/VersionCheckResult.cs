using Arbor.Signatures.Checking;

namespace Arbor.Leaf.Checking;

/// <summary>The outcome of checking one model version: clean when it has no problems.</summary>
public sealed record VersionCheckResult(string Model, string Version, IReadOnlyList<ModelCheckProblem> Problems)
{
    public bool Clean => Problems.Count == 0;
}
