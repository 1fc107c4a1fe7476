using Arbor.Signatures.Bundles;

namespace Arbor.Leaf.Models;

/// <summary>Which of a model's versions in the repository a partition serves.</summary>
public abstract record VersionPolicy
{
    /// <summary>The versions to serve among those present, by <see cref="ModelVersionComparer"/> order.</summary>
    public abstract IReadOnlyList<string> Select(IReadOnlyCollection<string> present);

    /// <summary>The N greatest versions (N = 1: always the latest).</summary>
    public static VersionPolicy Latest(int count = 1) => new LatestVersionsPolicy(count);

    /// <summary>Exactly these versions (when present).</summary>
    public static VersionPolicy Specific(params IReadOnlyList<string> versions) => new SpecificVersionsPolicy(versions);
}
