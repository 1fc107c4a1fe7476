namespace Arbor.Leaf.Models;

/// <summary>One version folder found in the repository.</summary>
/// <param name="Model">The model folder's name.</param>
/// <param name="Version">The version folder's name.</param>
/// <param name="Path">Its <c>model.pt</c>.</param>
/// <param name="Fingerprint">Size and modification time of <c>model.pt</c>: a failed version is loaded again only once this changes.</param>
public sealed record RepositoryVersion(string Model, string Version, string Path, string Fingerprint);
