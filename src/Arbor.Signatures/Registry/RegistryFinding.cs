namespace Arbor.Signatures.Registry;

/// <summary>One feature a model version needs that the registry cannot serve as needed.</summary>
public sealed record RegistryFinding(string Model, string Version, string Feature, RegistryFindingKind Kind, string Message)
{
    public override string ToString() => $"{Model}/{Version}: {Feature}: {Message}";
}
