using Arbor.Features.Values;
using Arbor.Signatures.Registry;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// The compiled preprocessing of one registry feature: the type its raw (stored or client-provided)
/// values must have, and the transforms that turn them into the registered type.
/// </summary>
/// <remarks>
/// The registry's <see cref="FeatureDefinition.Type"/> is the type after preprocessing. The raw type
/// follows from the first type-changing step: bucketize takes a float (an int64 is accepted and
/// widened), hash_to_id takes a string (bytes or an int64 also hash) or, for an int64-list feature,
/// an int64 list; without either the raw type is the registered type. The widenings are for stored
/// values; client values must have the raw type exactly, or <see cref="Policy"/> decides (<see cref="ClientFeatures"/>).
/// </remarks>
public sealed class FeaturePipeline
{
    private readonly IValueTransform[] _steps;

    private FeaturePipeline(FeatureDefinition definition, FeatureType inputKind, IValueTransform[] steps, InputPolicy policy)
    {
        Definition = definition;
        InputKind = inputKind;
        OutputKind = definition.Type;
        _steps = steps;
        Policy = policy;
        Missing = Apply(TypedValue.None);
    }

    public FeatureDefinition Definition { get; }

    /// <summary>What the root does with a client value of this feature it cannot use as sent: the registry's policy with the feature's overrides.</summary>
    public InputPolicy Policy { get; }

    /// <summary>The feature's registry default: what a value-less row gets (its default_fill, or no value).</summary>
    public TypedValue Missing { get; }

    public string Name => Definition.Name;

    /// <summary>The type raw values are stored and imported as.</summary>
    public FeatureType InputKind { get; }

    /// <summary>The type every value has after <see cref="Apply"/> (when it has a value).</summary>
    public FeatureType OutputKind { get; }

    /// <summary>True when the feature has no transforms.</summary>
    public bool IsIdentity => _steps.Length == 0;

    /// <summary>Compiles a registry feature; a transform that cannot apply to the type it meets is an error.</summary>
    /// <param name="definition">The feature.</param>
    /// <param name="registryPolicy">The registry-wide client input policy (null: the default one), which the feature's overrides refine.</param>
    public static FeaturePipeline Compile(FeatureDefinition definition, InputPolicy? registryPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var transforms = definition.Transforms ?? [];
        var inputKind = InputKindOf(definition);
        var current = inputKind;
        var steps = new IValueTransform[transforms.Count];
        for (var i = 0; i < transforms.Count; i++)
        {
            var transform = transforms[i];
            (steps[i], current) = transform.Kind switch
            {
                TransformKind.DefaultFill => (new DefaultFillTransform(FillValue(definition, transform, current)), current),
                TransformKind.Clip when current is FeatureType.Float or FeatureType.Int64 or FeatureType.FloatVector or FeatureType.Int64List =>
                    (new ClipTransform(transform.Min, transform.Max), current),
                TransformKind.Log1p when current is FeatureType.Float or FeatureType.FloatVector =>
                    ((IValueTransform)new Log1pTransform(), current),
                TransformKind.Bucketize when current is FeatureType.Float or FeatureType.Int64 && transform.Boundaries is { Count: > 0 } =>
                    (new BucketizeTransform(transform.Boundaries), FeatureType.Int64),
                TransformKind.HashToId when current is FeatureType.String or FeatureType.Bytes or FeatureType.Int64 && transform.Buckets > 0 =>
                    (new HashToIdTransform(transform.Buckets.Value), FeatureType.Int64),
                TransformKind.HashToId when current is FeatureType.Int64List && transform.Buckets > 0 =>
                    (new HashToIdTransform(transform.Buckets.Value), FeatureType.Int64List),
                _ => throw Invalid(definition, $"transform {i} ({transform.Kind}) cannot apply to a {current} value or lacks its parameters"),
            };
        }

        if (current != definition.Type)
        {
            throw Invalid(definition, $"its transforms yield {current} but the registry declares {definition.Type}");
        }

        return new FeaturePipeline(definition, inputKind, steps, (registryPolicy ?? InputPolicy.Default).With(definition.InputPolicy));
    }

    /// <summary>
    /// Checks a raw stored value against <see cref="InputKind"/> (and a float vector's dim) and returns
    /// it, widened where allowed; throws <see cref="FeatureValueException"/> otherwise. No value passes.
    /// Client values are held to <see cref="InputKind"/> strictly, under <see cref="Policy"/> (<see cref="ClientFeatures"/>).
    /// </summary>
    public TypedValue ValidateInput(TypedValue value)
    {
        if (value.Kind == InputKind || !value.HasValue)
        {
            if (value.Kind == FeatureType.FloatVector && Definition.Dim is { } dim && value.AsFloatVector().Length != dim)
            {
                throw new FeatureValueException($"feature '{Name}' is a float vector of {dim} values, not {value.AsFloatVector().Length}");
            }

            return value;
        }

        return (InputKind, value.Kind) switch
        {
            (FeatureType.Float, FeatureType.Int64) => TypedValue.FromFloat(value.AsInt64()),
            (FeatureType.String, FeatureType.Bytes or FeatureType.Int64) => value,
            _ => throw new FeatureValueException($"feature '{Name}' takes a {InputKind} value, not {value.Kind}"),
        };
    }

    /// <summary>Runs the transforms on a validated raw value (none in, possibly a default out).</summary>
    public TypedValue Apply(TypedValue value)
    {
        foreach (var step in _steps)
        {
            value = step.Apply(value);
        }

        return value;
    }

    private static FeatureType InputKindOf(FeatureDefinition definition)
    {
        foreach (var transform in definition.Transforms ?? [])
        {
            switch (transform.Kind)
            {
                case TransformKind.Bucketize:
                    return FeatureType.Float;
                case TransformKind.HashToId:
                    return definition.Type == FeatureType.Int64List ? FeatureType.Int64List : FeatureType.String;
            }
        }

        return definition.Type;
    }

    private static TypedValue FillValue(FeatureDefinition definition, FeatureTransform transform, FeatureType kind)
    {
        var fill = transform.Fill ?? 0.0;
        switch (kind)
        {
            case FeatureType.Float:
                return TypedValue.FromFloat((float)fill);
            case FeatureType.Int64 when fill == Math.Floor(fill) && Math.Abs(fill) < 9.2e18:
                return TypedValue.FromInt64((long)fill);
            case FeatureType.Int64List when fill == Math.Floor(fill) && Math.Abs(fill) < 9.2e18:
                return TypedValue.FromInt64List([(long)fill]);
            case FeatureType.FloatVector when definition.Dim is { } dim:
                var vector = new float[dim];
                Array.Fill(vector, (float)fill);
                return TypedValue.FromFloatVector(vector);
            default:
                throw Invalid(definition, $"default_fill {fill} cannot fill a {kind} value");
        }
    }

    private static InvalidOperationException Invalid(FeatureDefinition definition, string why) =>
        new($"Feature '{definition.Name}' has invalid preprocessing: {why}.");
}
