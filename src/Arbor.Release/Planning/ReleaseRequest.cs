using Arbor.Signatures.Bundles;

namespace Arbor.Release.Planning;

/// <summary>What to ship.</summary>
/// <param name="Repository">The source model repository (<c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.pt</c>).</param>
/// <param name="Ships">The model versions to ship (one per model).</param>
/// <param name="RegistryPath">The feature registry; default <c>&lt;repo&gt;/feature_registry.json</c>.</param>
/// <param name="Bundle">The bundle of shipped models that <c>&lt;repo&gt;/partitions.json</c> does not place.</param>
public sealed record ReleaseRequest(
    string Repository,
    IReadOnlyList<ModelVersionRef> Ships,
    string? RegistryPath = null,
    string? Bundle = null);
