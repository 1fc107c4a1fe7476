using Arbor.Root.Preprocessing;

namespace Arbor.Root.Routing;

/// <summary>
/// Stable assignment of users to experiments: a salted 64-bit FNV-1a hash of the user id mapped to
/// [0, 1). The same user always lands in the same bucket for the same salt, on every root replica.
/// </summary>
public static class UserBucketing
{
    /// <summary>The user's position in [0, 1) for this salt.</summary>
    public static double Position(string salt, string userId)
    {
        var hash = StableHash.Fnv1a64(string.Concat(salt, ":", userId));

        // FNV's low bits are weak; fold before taking the top 53 bits as a fraction.
        hash ^= hash >> 29;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 32;
        return (hash >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Whether the user falls in the first <paramref name="fraction"/> of users for this salt.</summary>
    public static bool IsIn(string salt, string userId, double fraction) => fraction > 0 && Position(salt, userId) < fraction;
}
