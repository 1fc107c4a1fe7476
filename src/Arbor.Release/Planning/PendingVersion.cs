namespace Arbor.Release.Planning;

/// <summary>A model version a release ships.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version shipped.</param>
/// <param name="Bundle">The bundle (leaf partition) whose allowlists carry it.</param>
/// <param name="Source">Its folder in the source model repository (copied into each environment).</param>
/// <param name="SignatureSha256">The hash of its signature when planned; the copy is refused if it changed.</param>
/// <param name="Features">Its allowlist.</param>
public sealed record PendingVersion(string Model, string Version, string Bundle, string Source, string SignatureSha256, IReadOnlyList<string> Features)
{
    public override string ToString() => $"{Model}:{Version}";
}
