namespace Arbor.Leaf.Models;

/// <summary>Serves exactly the listed versions that are present.</summary>
public sealed record SpecificVersionsPolicy : VersionPolicy
{
    public SpecificVersionsPolicy(IReadOnlyList<string> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentOutOfRangeException.ThrowIfZero(versions.Count, nameof(versions));
        Versions = versions;
    }

    public IReadOnlyList<string> Versions { get; }

    public override IReadOnlyList<string> Select(IReadOnlyCollection<string> present) =>
        Versions.Where(present.Contains).ToArray();

    public override string ToString() => $"versions {string.Join(", ", Versions)}";
}
