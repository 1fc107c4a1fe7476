namespace Arbor.Signatures.Registry;

/// <summary>One feature a model version needs that the registry cannot serve as needed.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Feature">The feature.</param>
/// <param name="Kind">What is wrong.</param>
/// <param name="Message">What is wrong, in words.</param>
/// <param name="Input">The signature input that needs the feature (null when checking a bundle, which has no inputs).</param>
public sealed record RegistryFinding(string Model, string Version, string Feature, RegistryFindingKind Kind, string Message, string? Input = null)
{
    public override string ToString() => $"{Model}/{Version}: {Feature}: {Message}";
}
