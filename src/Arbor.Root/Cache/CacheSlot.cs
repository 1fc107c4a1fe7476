using Arbor.FeatureStore.Sources;


namespace Arbor.Root.Cache;

/// <summary>
/// The cache's holder for one key. Readers read <see cref="Entity"/> without a lock; writers replace
/// it under the slot's lock. <see cref="Referenced"/> is the CLOCK bit that spares recently used
/// entries from eviction.
/// </summary>
internal sealed class CacheSlot(EntityKind kind, string id)
{
    private volatile CachedEntity? _entity;

    public EntityKind Kind { get; } = kind;

    public string Id { get; } = id;

    public CachedEntity? Entity
    {
        get => _entity;
        set => _entity = value;
    }

    /// <summary>1 when read since the eviction hand last passed (set without a lock by readers).</summary>
    public int Referenced;

    /// <summary>Set under the slot's lock when the slot left the cache; writers then use a new slot.</summary>
    public bool Evicted { get; set; }

    /// <summary>Set under the slot's lock once the slot is on the eviction clock.</summary>
    public bool Enqueued { get; set; }
}

/// <summary>
/// Per id of a request, the slot of <paramref name="Cache"/> its id was found in when the request's ids
/// were made strings (null: not found); <paramref name="Rented"/> when the array comes from the pool.
/// </summary>
internal sealed record CacheSlots(FeatureCache Cache, CacheSlot?[] Slots, bool Rented);
