using Arbor.Features.Values;

namespace Arbor.Signatures.Registry;

/// <summary>
/// The features the feature store serves (<c>arbor.feature_registry/v1</c>): name, type, the entity
/// that owns the value, the preprocessing the root applies once per request before fan-out, and
/// what the root does with values clients send that it cannot use as sent.
/// </summary>
/// <param name="InputPolicy">The registry-wide client input policy; null: <see cref="Registry.InputPolicy.Default"/>.</param>
public sealed record FeatureRegistry(string Schema, IReadOnlyList<FeatureDefinition> Features, InputPolicy? InputPolicy = null)
{
    public const string SchemaV1 = "arbor.feature_registry/v1";

    /// <summary>The registry-wide policy in force (the one written, or the default).</summary>
    public InputPolicy EffectiveInputPolicy => InputPolicy ?? Registry.InputPolicy.Default;
}

/// <summary>One feature of the universe.</summary>
/// <param name="Name">Unique feature name (what signatures list).</param>
/// <param name="Type">The type of its values after preprocessing.</param>
/// <param name="Entity">Who owns the value: the user, the candidate, or the request context.</param>
/// <param name="Dim">For <see cref="FeatureType.FloatVector"/>: the vector length.</param>
/// <param name="Transforms">Preprocessing applied in order, once per request, before fan-out.</param>
/// <param name="Description">Free text.</param>
/// <param name="InputPolicy">This feature's overrides of the registry's client input policy, or null.</param>
/// <param name="Ids">For <see cref="FeatureType.Int64List"/>: the declared id range, if any (<see cref="FeatureIdRange.Of"/> gives the one to assume).</param>
public sealed record FeatureDefinition(
    string Name,
    FeatureType Type,
    FeatureEntity Entity,
    int? Dim = null,
    IReadOnlyList<FeatureTransform>? Transforms = null,
    string? Description = null,
    FeatureInputPolicy? InputPolicy = null,
    FeatureIdRange? Ids = null);

public enum FeatureEntity
{
    /// <summary>Keyed by the request's user id; sent once per request to each leaf.</summary>
    User,

    /// <summary>Keyed by candidate id; one value per candidate.</summary>
    Candidate,

    /// <summary>Supplied by the caller with the request (device, time of day...).</summary>
    Context,
}

/// <summary>One declarative preprocessing step.</summary>
/// <param name="Kind">What the step does.</param>
/// <param name="Fill">For <see cref="TransformKind.DefaultFill"/>: the value given to an absent feature.</param>
/// <param name="Min">For <see cref="TransformKind.Clip"/>: lower bound.</param>
/// <param name="Max">For <see cref="TransformKind.Clip"/>: upper bound.</param>
/// <param name="Boundaries">For <see cref="TransformKind.Bucketize"/>: ascending bucket boundaries; float → int64 bucket index.</param>
/// <param name="Buckets">For <see cref="TransformKind.HashToId"/>: string → int64 in [0, Buckets).</param>
public sealed record FeatureTransform(
    TransformKind Kind,
    double? Fill = null,
    double? Min = null,
    double? Max = null,
    IReadOnlyList<double>? Boundaries = null,
    long? Buckets = null);

public enum TransformKind
{
    DefaultFill,
    Clip,
    Log1p,
    Bucketize,
    HashToId,
}
