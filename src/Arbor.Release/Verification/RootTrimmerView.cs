namespace Arbor.Release.Verification;

/// <summary>What a live root's Feature Trimmer has loaded (from <c>GET /admin/trimmer</c>).</summary>
public sealed record RootTrimmerView(Uri Root, IReadOnlyList<RootBundleView> Bundles)
{
    /// <summary>
    /// The allowlists the root applies to a model: the first loaded bundle listing it that is not
    /// shadowed by an earlier one; null when the root sends the model untrimmed.
    /// </summary>
    public RootModelView? Allowlists(string model) =>
        Bundles.Where(b => b.ContentHash is not null)
            .SelectMany(b => b.Models)
            .FirstOrDefault(m => m.Model == model && !m.Shadowed);

    /// <summary>Whether a bundle file (by bundle name or file name) is active with exactly this content.</summary>
    public bool HasLoaded(string bundle, string sha256) =>
        Bundles.Any(b => (b.Bundle == bundle || b.Id == bundle) && b.ContentHash == sha256 && b.State == "active");
}

/// <summary>One bundle file a root is configured with.</summary>
/// <param name="Id">The configured source (file name without extension).</param>
/// <param name="Bundle">The bundle name in the loaded file; null before a first load.</param>
/// <param name="State">pending, active, stale or failed.</param>
/// <param name="ContentHash">SHA-256 of the loaded file; null before a first load.</param>
/// <param name="LastError">Why the last read failed.</param>
/// <param name="Models">The loaded models.</param>
public sealed record RootBundleView(string Id, string? Bundle, string State, string? ContentHash, string? LastError, IReadOnlyList<RootModelView> Models);

/// <summary>One model's allowlists at a root.</summary>
/// <param name="Model">The model.</param>
/// <param name="Latest">The version whose allowlist trims requests naming no (or an unknown) version.</param>
/// <param name="Shadowed">True when an earlier bundle's allowlists for this model win.</param>
/// <param name="Versions">Version → signature hash of its allowlist.</param>
public sealed record RootModelView(string Model, string Latest, bool Shadowed, IReadOnlyDictionary<string, string> Versions);
