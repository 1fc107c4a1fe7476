namespace Arbor.Features.Batches;

/// <summary>
/// A few <see cref="BatchStorage"/>s kept between batches (about one per request in flight on each
/// core); a batch takes one when built and gives it back when disposed. Lock-free: a rent or a
/// return that finds no slot allocates or drops a storage instead of waiting.
/// </summary>
internal sealed class BatchStoragePool(int capacity)
{
    /// <summary>A storage holding more columns than this is dropped rather than kept (an outsized request).</summary>
    internal const int MaxKeptColumns = 4096;

    private readonly BatchStorage?[] _slots = new BatchStorage?[capacity];

    /// <summary>The pool every batch uses unless built with another (tests).</summary>
    public static BatchStoragePool Shared { get; } = new(Math.Max(8, Environment.ProcessorCount * 4));

    public BatchStorage Rent(int columnCapacity)
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Volatile.Read(ref _slots[i]) is { } storage
                && ReferenceEquals(Interlocked.CompareExchange(ref _slots[i], null, storage), storage))
            {
                storage.Reserve(columnCapacity);
                return storage;
            }
        }

        var created = new BatchStorage(this);
        created.Reserve(columnCapacity);
        return created;
    }

    public void Return(BatchStorage storage)
    {
        if (storage.Columns.Count + storage.SharedColumns.Count + storage.SpareCount > MaxKeptColumns)
        {
            return;
        }

        storage.Clear();
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _slots[i], storage, null) is null)
            {
                return;
            }
        }
    }
}
