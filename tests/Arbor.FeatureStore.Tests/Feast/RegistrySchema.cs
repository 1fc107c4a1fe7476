using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Signatures.Registry;

namespace Arbor.FeatureStore.Tests.Feast;

/// <summary>
/// A hand-written stand-in for the root's registry schema: each feature's owner and raw type (the
/// type before bucketize / hash_to_id), an int64 widened to a float, anything else of another type refused.
/// </summary>
public sealed class RegistrySchema(FeatureRegistry registry) : IFeatureSchema
{
    private readonly Dictionary<string, FeatureDefinition> _features = registry.Features.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static RegistrySchema Sample() => new(FeatureRegistryJson.ReadFile(Arbor.Testing.SampleModelRepository.Combine("feature_registry.json")));

    public IEnumerable<FeatureDefinition> Features => _features.Values;

    public bool TryGetFeature(string feature, out FeatureEntity owner, out FeatureType kind)
    {
        if (!_features.TryGetValue(feature, out var definition))
        {
            owner = default;
            kind = default;
            return false;
        }

        owner = definition.Entity;
        kind = RawKind(definition);
        return true;
    }

    public TypedValue Validate(string feature, TypedValue value)
    {
        var kind = RawKind(_features[feature]);
        return value.Kind == kind ? value
            : kind == FeatureType.Float && value.Kind == FeatureType.Int64 ? TypedValue.FromFloat(value.AsInt64())
            : throw new FormatException($"feature '{feature}' takes a {kind} value, not {value.Kind}");
    }

    private static FeatureType RawKind(FeatureDefinition definition)
    {
        foreach (var transform in definition.Transforms ?? [])
        {
            if (transform.Kind == TransformKind.Bucketize)
            {
                return FeatureType.Float;
            }

            if (transform.Kind == TransformKind.HashToId)
            {
                return definition.Type == FeatureType.Int64List ? FeatureType.Int64List : FeatureType.String;
            }
        }

        return definition.Type;
    }
}
