namespace Arbor.Root.Cache;

/// <summary>A projection mapped onto catalog slots: per column its slot, plus the mask of all of them.</summary>
internal sealed class ResolvedProjection(IReadOnlyList<string> names, int[] slots)
{
    public IReadOnlyList<string> Names { get; } = names;

    public int[] Slots { get; } = slots;

    public ulong[] Mask { get; } = FeatureMask.FromSlots(slots);
}
