using Arbor.FeatureStore.Sources;


namespace Arbor.Root.Cache;

/// <summary>The cache key: one entity.</summary>
internal readonly record struct CacheKey(EntityKind Kind, string Id);

/// <summary>A cache key whose id is characters not yet made a string (the lookup of a request's candidate ids).</summary>
internal readonly ref struct CacheKeyChars(EntityKind kind, ReadOnlySpan<char> id)
{
    public EntityKind Kind { get; } = kind;

    public ReadOnlySpan<char> Id { get; } = id;
}

/// <summary>
/// Compares cache keys by kind and ordinal id, and a <see cref="CacheKeyChars"/> with a key as the
/// key its characters would make: one hash for both (the string hash of the id's characters).
/// </summary>
internal sealed class CacheKeyComparer : IEqualityComparer<CacheKey>, IAlternateEqualityComparer<CacheKeyChars, CacheKey>
{
    public static CacheKeyComparer Instance { get; } = new();

    public bool Equals(CacheKey x, CacheKey y) => x.Kind == y.Kind && string.Equals(x.Id, y.Id, StringComparison.Ordinal);

    public int GetHashCode(CacheKey obj) => Hash(obj.Kind, obj.Id);

    public bool Equals(CacheKeyChars alternate, CacheKey other) => alternate.Kind == other.Kind && alternate.Id.SequenceEqual(other.Id);

    public int GetHashCode(CacheKeyChars alternate) => Hash(alternate.Kind, alternate.Id);

    public CacheKey Create(CacheKeyChars alternate) => new(alternate.Kind, alternate.Id.ToString());

    private static int Hash(EntityKind kind, ReadOnlySpan<char> id) => string.GetHashCode(id) ^ ((int)kind * -1640531535);
}
