namespace Arbor.Signatures.Bundles;

/// <summary>A model or model version left out of a bundle, and why.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version, or null when the whole model was left out.</param>
/// <param name="Reason">Why, naming the problem.</param>
public sealed record BundleBuildWarning(string Model, string? Version, string Reason)
{
    public override string ToString() => Version is null ? $"{Model}: {Reason}" : $"{Model}/{Version}: {Reason}";
}
