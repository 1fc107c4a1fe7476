using Arbor.Features.Values;
using Arbor.Signatures.Registry;

namespace Arbor.Root.Configuration;

/// <summary>
/// The smallest the largest leaf request can be, from the feature registry: a model that goes
/// untrimmed (or an unknown one) receives every registered feature, so each candidate row carries
/// every candidate feature. Fixed-width values count at their widest on the wire (a float 4 bytes,
/// an int64 10 as a negative varint, a vector 4 × dim); lists, strings and bytes count only what
/// an empty value takes, since the registry bounds no lengths. A limit below this cannot work
/// whatever the data.
/// </summary>
/// <param name="BytesPerCandidate">Bytes each candidate row adds at least.</param>
/// <param name="SharedBytes">Bytes of the one-row user and context columns at least.</param>
public sealed record CandidatePayloadBound(long BytesPerCandidate, long SharedBytes)
{
    public static CandidatePayloadBound Of(FeatureRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        long perCandidate = 0, shared = 0;
        foreach (var feature in registry.Features)
        {
            var bytes = RowBytes(feature);
            if (feature.Entity == FeatureEntity.Candidate)
            {
                perCandidate += bytes;
            }
            else
            {
                shared += bytes;
            }
        }

        return new CandidatePayloadBound(perCandidate, shared);
    }

    /// <summary>Bytes of a request of <paramref name="candidates"/> rows at least.</summary>
    public long RequestBytes(int candidates) => SharedBytes + (BytesPerCandidate * candidates);

    private static long RowBytes(FeatureDefinition feature)
    {
        // The value types of preprocessing's output: bucketize and hash turn values into int64.
        var type = feature.Transforms?.LastOrDefault(t => t.Kind is TransformKind.Bucketize or TransformKind.HashToId) is not null
            ? FeatureType.Int64
            : feature.Type;
        return type switch
        {
            FeatureType.Float => 4,
            FeatureType.Int64 => 10,
            FeatureType.FloatVector => 4L * Math.Max(1, feature.Dim ?? 1),
            FeatureType.Int64List => 1, // its length
            _ => 2, // an empty string or bytes value: tag and length
        };
    }
}
