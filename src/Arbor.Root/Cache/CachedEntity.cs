using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;


namespace Arbor.Root.Cache;

/// <summary>
/// What the cache knows about one entity: values by catalog slot, which slots were fetched (a
/// fetched slot without a value means "the store has none"), and when. Immutable; an extension
/// with more features or a refresh is a new instance.
/// </summary>
/// <remarks>
/// The features of the latest fetch (<see cref="Fetched"/>, fetched at <see cref="FetchedAt"/>) are
/// the ones served fresh. Features an earlier fetch brought that were not refreshed since stay in
/// <see cref="Older"/> with their own fetch time: past the TTL they are never served fresh, but they
/// remain servable stale while the store fails, so a refresh of some features never loses the others.
/// </remarks>
internal sealed class CachedEntity
{
    // Key string, slot and entity objects, array headers: a rough constant per entry.
    private const int EntryOverheadBytes = 160;

    public CachedEntity(TypedValue[] values, ulong[] fetched, long fetchedAt, FetchGeneration[] older, string id)
    {
        Values = values;
        Floats = FloatRow.Pack(values);
        Fetched = fetched;
        FetchedAt = fetchedAt;
        Older = older;
        var size = EntryOverheadBytes + (id.Length * sizeof(char)) + (values.Length * 24) + FloatRow.SizeBytes(Floats) + (fetched.Length * sizeof(ulong));
        foreach (var generation in older)
        {
            size += 48 + (generation.Mask.Length * sizeof(ulong));
        }

        foreach (var value in values)
        {
            size += value.EstimatedHeapBytes;
        }

        SizeBytes = size;
    }

    /// <summary>Values by catalog slot, of <see cref="Fetched"/> and of every <see cref="Older"/> generation.</summary>
    public TypedValue[] Values { get; }

    /// <summary>The floats of <see cref="Values"/>, packed (<see cref="FloatRow"/>): what requests read float columns from; null when it has none.</summary>
    public float[]? Floats { get; }

    /// <summary>The features of the latest fetch generation: the ones that may be served fresh.</summary>
    public ulong[] Fetched { get; }

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> of the oldest fetch merged into <see cref="Fetched"/>.</summary>
    public long FetchedAt { get; }

    /// <summary>Earlier fetches' features not fetched again since, newest first; disjoint from <see cref="Fetched"/>.</summary>
    public FetchGeneration[] Older { get; }

    /// <summary>Approximate memory held by the entry.</summary>
    public int SizeBytes { get; }
}

/// <summary>Features an earlier fetch brought into an entry, and when.</summary>
internal readonly record struct FetchGeneration(ulong[] Mask, long FetchedAt);
