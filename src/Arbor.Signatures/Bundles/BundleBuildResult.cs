using Arbor.Signatures.Signatures;

namespace Arbor.Signatures.Bundles;

/// <summary>The bundle built, the signatures it came from, and everything left out.</summary>
public sealed record BundleBuildResult(
    BundleDocument Document,
    IReadOnlyList<ModuleInfo> Signatures,
    IReadOnlyList<BundleBuildWarning> Warnings);
