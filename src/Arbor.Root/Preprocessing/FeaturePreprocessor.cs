using System.Collections.Frozen;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Signatures.Registry;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// The registry's preprocessing compiled once: one <see cref="FeaturePipeline"/> per feature.
/// Immutable; a new registry means a new preprocessor, swapped in atomically by its owner. It is also
/// the schema a feature import types and checks values by.
/// </summary>
public sealed class FeaturePreprocessor : IFeatureSchema
{
    private readonly FrozenDictionary<string, FeaturePipeline> _pipelines;

    /// <summary>Compiles every feature; throws <see cref="InvalidOperationException"/> naming the first bad one.</summary>
    public FeaturePreprocessor(FeatureRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Registry = registry;
        InputPolicy = registry.EffectiveInputPolicy;
        var pipelines = new Dictionary<string, FeaturePipeline>(StringComparer.Ordinal);
        foreach (var feature in registry.Features)
        {
            if (!pipelines.TryAdd(feature.Name, FeaturePipeline.Compile(feature, InputPolicy)))
            {
                throw new InvalidOperationException($"Feature '{feature.Name}' is registered twice.");
            }
        }

        _pipelines = pipelines.ToFrozenDictionary(StringComparer.Ordinal);
        UserFeatures = [.. registry.Features.Where(f => f.Entity == FeatureEntity.User).Select(f => f.Name)];
        CandidateFeatures = [.. registry.Features.Where(f => f.Entity == FeatureEntity.Candidate).Select(f => f.Name)];
        ContextFeatures = [.. registry.Features.Where(f => f.Entity == FeatureEntity.Context).Select(f => f.Name)];
    }

    /// <summary>A preprocessor for an empty registry: every feature passes through untouched.</summary>
    public static FeaturePreprocessor Empty { get; } = new(new FeatureRegistry(FeatureRegistry.SchemaV1, []));

    public FeatureRegistry Registry { get; }

    /// <summary>The registry-wide client input policy (each pipeline holds its feature's own; this one decides for unknown names).</summary>
    public InputPolicy InputPolicy { get; }

    /// <summary>The registry's user features, in registry order.</summary>
    public IReadOnlyList<string> UserFeatures { get; }

    /// <summary>The registry's candidate features, in registry order.</summary>
    public IReadOnlyList<string> CandidateFeatures { get; }

    /// <summary>The registry's context features, in registry order.</summary>
    public IReadOnlyList<string> ContextFeatures { get; }

    public bool TryGetPipeline(string feature, out FeaturePipeline pipeline) =>
        _pipelines.TryGetValue(feature, out pipeline!);

    /// <summary>Validates then transforms one raw value of <paramref name="feature"/>; unregistered features pass unchanged.</summary>
    public TypedValue Apply(string feature, TypedValue raw) =>
        _pipelines.TryGetValue(feature, out var pipeline) ? pipeline.Apply(pipeline.ValidateInput(raw)) : raw;

    bool IFeatureSchema.TryGetFeature(string feature, out FeatureEntity owner, out FeatureType kind)
    {
        if (_pipelines.TryGetValue(feature, out var pipeline))
        {
            owner = pipeline.Definition.Entity;
            kind = pipeline.InputKind;
            return true;
        }

        owner = default;
        kind = default;
        return false;
    }

    TypedValue IFeatureSchema.Validate(string feature, TypedValue value)
    {
        try
        {
            return _pipelines[feature].ValidateInput(value);
        }
        catch (FeatureValueException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }
}
