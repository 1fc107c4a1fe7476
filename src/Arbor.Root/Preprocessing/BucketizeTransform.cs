using Arbor.Features.Values;


namespace Arbor.Root.Preprocessing;

/// <summary>
/// A number → its int64 bucket index: the count of boundaries ≤ x (so x below the first boundary is
/// bucket 0 and x at or above the last is bucket n). NaN is bucket 0.
/// </summary>
public sealed class BucketizeTransform : IValueTransform
{
    private readonly double[] _boundaries;

    public BucketizeTransform(IReadOnlyList<double> boundaries)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        if (boundaries.Count == 0)
        {
            throw new ArgumentException("bucketize needs at least one boundary.", nameof(boundaries));
        }

        for (var i = 1; i < boundaries.Count; i++)
        {
            if (!(boundaries[i] > boundaries[i - 1]))
            {
                throw new ArgumentException("bucketize boundaries must be strictly ascending.", nameof(boundaries));
            }
        }

        _boundaries = [.. boundaries];
    }

    public TypedValue Apply(TypedValue value) => value.Kind switch
    {
        TypedValue.NoKind => value,
        FeatureType.Float => TypedValue.FromInt64(Bucket(value.AsFloat())),
        FeatureType.Int64 => TypedValue.FromInt64(Bucket(value.AsInt64())),
        _ => throw new FeatureValueException($"bucketize applies to a float or int64, not {value.Kind}."),
    };

    /// <summary>The bucket of <paramref name="x"/> (upper-bound binary search).</summary>
    public long Bucket(double x)
    {
        int lo = 0, hi = _boundaries.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_boundaries[mid] <= x)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
