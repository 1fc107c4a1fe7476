using Arbor.Root.Store;

namespace Arbor.Root.Cache;

/// <summary>
/// What the cache knows about one entity: values by catalog slot, which slots were fetched (a
/// fetched slot without a value means "the store has none"), and when. Immutable; an extension
/// with more features is a new instance.
/// </summary>
internal sealed class CachedEntity
{
    // Key string, slot and entity objects, array headers: a rough constant per entry.
    private const int EntryOverheadBytes = 160;

    public CachedEntity(TypedValue[] values, ulong[] fetched, long fetchedAt, string id)
    {
        Values = values;
        Fetched = fetched;
        FetchedAt = fetchedAt;
        var size = EntryOverheadBytes + (id.Length * sizeof(char)) + (values.Length * 24) + (fetched.Length * sizeof(ulong));
        foreach (var value in values)
        {
            size += value.EstimatedHeapBytes;
        }

        SizeBytes = size;
    }

    public TypedValue[] Values { get; }

    public ulong[] Fetched { get; }

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> of the oldest fetch the entry holds.</summary>
    public long FetchedAt { get; }

    /// <summary>Approximate memory held by the entry.</summary>
    public int SizeBytes { get; }
}
