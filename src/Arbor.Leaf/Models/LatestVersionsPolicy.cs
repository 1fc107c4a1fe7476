using Arbor.Signatures.Bundles;

namespace Arbor.Leaf.Models;

/// <summary>Serves the <see cref="Count"/> greatest versions present.</summary>
public sealed record LatestVersionsPolicy : VersionPolicy
{
    public LatestVersionsPolicy(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
    }

    public int Count { get; }

    public override IReadOnlyList<string> Select(IReadOnlyCollection<string> present) =>
        present.Order(ModelVersionComparer.Instance).TakeLast(Count).ToArray();

    public override string ToString() => $"latest {Count}";
}
