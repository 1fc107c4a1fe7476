using Arbor.Leaf.Configuration;

namespace Arbor.Leaf.Models;

/// <summary>A configured model and every version the partition tracks for it.</summary>
/// <param name="Name">The model.</param>
/// <param name="Policy">Which versions it serves.</param>
/// <param name="DefaultVersion">The version a request naming none gets; null while none serves.</param>
/// <param name="Versions">Every version tracked (loading, available, unloading, failed).</param>
/// <param name="Role">Production or experiment.</param>
/// <param name="Required">Whether the partition's readiness waits for this model.</param>
public sealed record ModelStatus(string Name, string Policy, string? DefaultVersion, IReadOnlyList<VersionStatus> Versions, ModelRole Role, bool Required)
{
    /// <summary>Ready when a version serves.</summary>
    public bool Ready => DefaultVersion is not null;
}
