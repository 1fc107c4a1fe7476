using System.Collections.Frozen;

namespace Arbor.Leaf.Models;

/// <summary>
/// What a partition serves at one moment: immutable, published by one atomic swap. A request reads
/// one snapshot and takes a lease on one version from it; no lock on the read path.
/// </summary>
public sealed class ServingSnapshot(FrozenDictionary<string, PublishedModel> models)
{
    public static ServingSnapshot Empty { get; } = new(FrozenDictionary<string, PublishedModel>.Empty);

    public FrozenDictionary<string, PublishedModel> Models { get; } = models;
}
