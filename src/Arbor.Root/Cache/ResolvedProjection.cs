using Arbor.FeatureStore.Sources;

namespace Arbor.Root.Cache;

/// <summary>A projection mapped onto catalog slots: per column its slot, plus the mask of all of them.</summary>
internal sealed class ResolvedProjection(FeatureCatalog catalog, EntityKind kind, IReadOnlyList<string> names, int[] slots)
{
    /// <summary>The catalog whose slots these are.</summary>
    public FeatureCatalog Catalog { get; } = catalog;

    public EntityKind Kind { get; } = kind;

    public IReadOnlyList<string> Names { get; } = names;

    public int[] Slots { get; } = slots;

    public ulong[] Mask { get; } = FeatureMask.FromSlots(slots);
}
