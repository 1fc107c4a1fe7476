using Arbor.Features.Values;

namespace Arbor.Signatures.Registry;

/// <summary>
/// The ids an <see cref="FeatureType.Int64List"/> feature holds, both ends inclusive: the rows of the
/// embedding tables a model feeds them to (declared in the registry as <c>min</c>/<c>max</c> or as
/// <c>cardinality</c>, meaning 0 to cardinality − 1).
/// </summary>
public sealed record FeatureIdRange(long Min, long Max)
{
    /// <summary>The ids assumed when the registry declares none: every embedding table has at least this many rows.</summary>
    public static readonly FeatureIdRange Default = new(0, 999);

    /// <summary>
    /// The ids a feature's values can take: its declared range, else the buckets of a
    /// <c>hash_to_id</c> transform, else <see cref="Default"/>.
    /// </summary>
    public static FeatureIdRange Of(FeatureDefinition? feature)
    {
        if (feature?.Ids is { } declared)
        {
            return declared;
        }

        var hashed = feature?.Transforms?.LastOrDefault(t => t.Kind == TransformKind.HashToId);
        return hashed?.Buckets is { } buckets ? new FeatureIdRange(0, buckets - 1) : Default;
    }

    public override string ToString() => $"{Min}..{Max}";
}
