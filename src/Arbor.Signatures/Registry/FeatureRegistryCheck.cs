using Arbor.Features.Values;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Signatures;

namespace Arbor.Signatures.Registry;

/// <summary>
/// Checks that the feature registry serves every feature the given signatures (or bundles) need,
/// with a type each input kind can consume: dense ← float or int64 (cast to float32), vector ←
/// float_vector of the same dim, id_list ← int64_list. An empty result means all is well.
/// </summary>
public static class FeatureRegistryCheck
{
    public static IReadOnlyList<RegistryFinding> Check(FeatureRegistry registry, IEnumerable<ModuleInfo> signatures)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(signatures);
        var byName = Index(registry);
        var findings = new List<RegistryFinding>();
        foreach (var signature in signatures)
        {
            foreach (var input in signature.Inputs)
            {
                foreach (var feature in input.Features)
                {
                    if (!byName.TryGetValue(feature, out var definition))
                    {
                        findings.Add(new RegistryFinding(signature.Model, signature.Version, feature, RegistryFindingKind.MissingFeature,
                            $"not in the feature registry (needed by input '{input.Name}')", input.Name));
                    }
                    else if (Mismatch(input, definition) is { } finding)
                    {
                        findings.Add(new RegistryFinding(signature.Model, signature.Version, feature, finding.Kind, finding.Message, input.Name));
                    }
                }
            }
        }

        return findings;
    }

    /// <summary>Checks a bundle's allowlists: only missing features can be found (a bundle holds no types).</summary>
    public static IReadOnlyList<RegistryFinding> Check(FeatureRegistry registry, BundleDocument bundle)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(bundle);
        var byName = Index(registry);
        var findings = new List<RegistryFinding>();
        foreach (var (model, entry) in bundle.Models.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            foreach (var (version, allowlist) in entry.Versions.OrderBy(v => v.Key, ModelVersionComparer.Instance))
            {
                foreach (var feature in allowlist.Features)
                {
                    if (!byName.ContainsKey(feature))
                    {
                        findings.Add(new RegistryFinding(model, version, feature, RegistryFindingKind.MissingFeature,
                            $"not in the feature registry (allowlist of bundle '{bundle.Bundle}')"));
                    }
                }
            }
        }

        return findings;
    }

    private static Dictionary<string, FeatureDefinition> Index(FeatureRegistry registry)
    {
        var byName = new Dictionary<string, FeatureDefinition>(StringComparer.Ordinal);
        foreach (var feature in registry.Features)
        {
            byName.TryAdd(feature.Name, feature);
        }

        return byName;
    }

    private static (RegistryFindingKind Kind, string Message)? Mismatch(ModelInput input, FeatureDefinition definition)
    {
        var type = FeatureRegistryJson.TypeName(definition.Type);
        return input.Kind switch
        {
            InputKind.Dense when definition.Type is not (FeatureType.Float or FeatureType.Int64) =>
                (RegistryFindingKind.TypeMismatch, $"registry type {type} cannot feed dense input '{input.Name}' (needs float or int64)"),
            InputKind.Vector when definition.Type is not FeatureType.FloatVector =>
                (RegistryFindingKind.TypeMismatch, $"registry type {type} cannot feed vector input '{input.Name}' (needs float_vector)"),
            InputKind.Vector when definition.Dim != input.Dim =>
                (RegistryFindingKind.DimMismatch, $"registry dim {definition.Dim} differs from vector input '{input.Name}' dim {input.Dim}"),
            InputKind.IdList when definition.Type is not FeatureType.Int64List =>
                (RegistryFindingKind.TypeMismatch, $"registry type {type} cannot feed id_list input '{input.Name}' (needs int64_list)"),
            _ => null,
        };
    }
}
