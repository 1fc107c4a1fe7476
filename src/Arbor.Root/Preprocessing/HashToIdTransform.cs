using Arbor.Features.Values;


namespace Arbor.Root.Preprocessing;

/// <summary>
/// Strings, bytes and int64s (or each element of an int64 list) → an id in [0, buckets) via
/// <see cref="StableHash.Fnv1a64(string)"/> modulo the bucket count.
/// </summary>
public sealed class HashToIdTransform : IValueTransform
{
    private readonly long _buckets;

    public HashToIdTransform(long buckets)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(buckets);
        _buckets = buckets;
    }

    public TypedValue Apply(TypedValue value)
    {
        switch (value.Kind)
        {
            case TypedValue.NoKind:
                return value;
            case FeatureType.String:
                return TypedValue.FromInt64(StableHash.ToBucket(StableHash.Fnv1a64(value.AsString()), _buckets));
            case FeatureType.Bytes:
                return TypedValue.FromInt64(StableHash.ToBucket(StableHash.Fnv1a64(value.AsBytes()), _buckets));
            case FeatureType.Int64:
                return TypedValue.FromInt64(StableHash.ToBucket(StableHash.Fnv1a64(value.AsInt64()), _buckets));
            case FeatureType.Int64List:
                var source = value.AsInt64List();
                var ids = new long[source.Length];
                for (var i = 0; i < ids.Length; i++)
                {
                    ids[i] = StableHash.ToBucket(StableHash.Fnv1a64(source[i]), _buckets);
                }

                return TypedValue.FromInt64List(ids);
            default:
                throw new FeatureValueException($"hash_to_id applies to strings, bytes and int64s, not {value.Kind}.");
        }
    }
}
