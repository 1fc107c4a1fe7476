using Arbor.Signatures.Checking;
using Arbor.Signatures.Registry;

namespace Arbor.Signatures.Bundles;

/// <summary>What to put in a bundle.</summary>
/// <param name="Repository">The model repository (<c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.pt</c>).</param>
/// <param name="Bundle">The bundle's name.</param>
/// <param name="Models">
/// The models to include (every version of each). When null and <see cref="Versions"/> is null, the
/// repository's <c>partitions.json</c> decides if it names the bundle; otherwise every model is included.
/// </param>
/// <param name="Versions">Exact model versions to include (e.g. current + pending during a rollout).</param>
/// <param name="Latest">Per model, the version to mark as latest instead of the greatest included one.</param>
/// <param name="Check">
/// When given, every included version is checked (with <paramref name="Registry"/>) and one that
/// fails is never made latest: it stays listed, with a warning saying why it is not latest.
/// </param>
/// <param name="Registry">The feature registry <paramref name="Check"/> checks the signatures against.</param>
public sealed record BundleBuildRequest(
    string Repository,
    string Bundle,
    IReadOnlyList<string>? Models = null,
    IReadOnlyList<ModelVersionRef>? Versions = null,
    IReadOnlyDictionary<string, string>? Latest = null,
    IModelVersionCheck? Check = null,
    FeatureRegistry? Registry = null);
