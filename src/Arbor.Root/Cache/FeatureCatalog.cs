using System.Collections.Concurrent;
using Arbor.FeatureStore.Sources;

namespace Arbor.Root.Cache;

/// <summary>
/// Gives every feature name of an entity kind a small, permanent slot number, so cache entries hold
/// values in arrays indexed by slot and a request's projection maps to slots once, not one name
/// lookup per candidate. Append-only: slots are never reused.
/// </summary>
internal sealed class FeatureCatalog
{
    private readonly ConcurrentDictionary<string, int>[] _slots = [new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    private readonly List<string>[] _names = [[], []];

    public int Count(EntityKind kind)
    {
        var names = _names[(int)kind];
        lock (names)
        {
            return names.Count;
        }
    }

    public string NameOf(EntityKind kind, int slot)
    {
        var names = _names[(int)kind];
        lock (names)
        {
            return names[slot];
        }
    }

    /// <summary>
    /// Maps a projection to slots. The answer is kept on the projection itself (a fetch plan's
    /// projections live as long as the plan), so a request with a known plan does no lookups.
    /// </summary>
    public ResolvedProjection Resolve(EntityKind kind, FeatureProjection projection)
    {
        if (projection.IsAll)
        {
            throw new ArgumentException("The feature cache reads explicit features; resolve 'all' against the feature registry first.", nameof(projection));
        }

        if (projection.Resolution is ResolvedProjection known && ReferenceEquals(known.Catalog, this) && known.Kind == kind)
        {
            return known;
        }

        var slots = new int[projection.Count];
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] = SlotOf(kind, projection.Names[i]);
        }

        var resolved = new ResolvedProjection(this, kind, projection.Names, slots);
        projection.Resolution = resolved;
        return resolved;
    }

    private int SlotOf(EntityKind kind, string name)
    {
        var slots = _slots[(int)kind];
        if (slots.TryGetValue(name, out var slot))
        {
            return slot;
        }

        var names = _names[(int)kind];
        lock (names)
        {
            if (!slots.TryGetValue(name, out slot))
            {
                slot = names.Count;
                names.Add(name);
                slots[name] = slot;
            }

            return slot;
        }
    }
}
