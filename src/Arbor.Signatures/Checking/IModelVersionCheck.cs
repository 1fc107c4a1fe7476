using Arbor.Signatures.Registry;

namespace Arbor.Signatures.Checking;

/// <summary>
/// Checks one model version before it ships: that it loads, that its forward agrees with its
/// signature and that the feature registry serves what the signature needs. The leaf's libtorch
/// implementation is <c>Arbor.Leaf.Checking.ModelChecker</c>.
/// </summary>
public interface IModelVersionCheck
{
    /// <summary>Every problem found with the version at <paramref name="archivePath"/>; empty when it is clean.</summary>
    /// <param name="model">The model the version's folder names.</param>
    /// <param name="version">The version the folder names.</param>
    /// <param name="archivePath">Its <c>model.pt</c>.</param>
    /// <param name="registry">The feature registry to check the signature against; null skips those checks.</param>
    IReadOnlyList<ModelCheckProblem> Check(string model, string version, string archivePath, FeatureRegistry? registry);
}
