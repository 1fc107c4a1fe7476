namespace Arbor.Leaf.Models;

/// <summary>A configured model and every version the partition tracks for it.</summary>
public sealed record ModelStatus(string Name, string Policy, string? DefaultVersion, IReadOnlyList<VersionStatus> Versions);
