namespace Arbor.Leaf.Models;

/// <summary>A model version as ListModels and /models report it.</summary>
public sealed record VersionStatus(
    string Version, ModelVersionState State, string? SignatureSha256, string? Error, IReadOnlyList<string> Outputs, int InFlight);
