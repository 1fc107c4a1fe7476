using System.Buffers;
using System.Runtime.CompilerServices;
using Arbor.Features.Values;

namespace Arbor.Features.Batches;

/// <summary>
/// The features of one request in columns: per feature one column over the rows (candidates), and
/// request-level (user, context) features as one-row shared columns sent once per request.
/// </summary>
/// <remarks>
/// Built by the root once per request; encode it once with <see cref="Wire.FeatureBatchEncoder"/>
/// and every leaf request (trimmed or not) reuses the encoded columns. Not thread-safe while being
/// built; read-only afterwards by convention. Column buffers taken with <see cref="Rent{T}"/> come
/// from the shared array pools and go back on <see cref="Dispose"/>: dispose the batch once it is
/// encoded, and use its columns no more. The batch's bookkeeping (column lists, the name set) and
/// the objects of the columns made by its <c>Create…</c> methods are kept for a later batch too, so
/// that a steady stream of requests allocates no per-column objects.
/// </remarks>
public sealed class FeatureBatch : IDisposable
{
    // Below the large-object heap's 85,000 bytes: a slab is an ordinary pooled array.
    private const int SlabBytes = 64 * 1024;

    private BatchStorage? _storage;
    private Slab<float> _floats;
    private Slab<long> _longs;
    private Slab<int> _ints;
    private Slab<byte> _bytes;

    /// <param name="rowCount">The number of rows (candidates).</param>
    /// <param name="columnCapacity">The expected number of per-row columns.</param>
    public FeatureBatch(int rowCount, int columnCapacity = 0)
        : this(rowCount, columnCapacity, BatchStoragePool.Shared)
    {
    }

    internal FeatureBatch(int rowCount, int columnCapacity, BatchStoragePool pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        ArgumentOutOfRangeException.ThrowIfNegative(columnCapacity);
        RowCount = rowCount;
        _storage = pool.Rent(columnCapacity);
    }

    /// <summary>The number of rows (candidates).</summary>
    public int RowCount { get; }

    /// <summary>Per-row columns, in the order they were added (none once disposed).</summary>
    public IReadOnlyList<BatchColumn> Columns => (IReadOnlyList<BatchColumn>?)_storage?.Columns ?? [];

    /// <summary>Request-level columns (one row each), in the order they were added (none once disposed).</summary>
    public IReadOnlyList<BatchColumn> SharedColumns => (IReadOnlyList<BatchColumn>?)_storage?.SharedColumns ?? [];

    /// <summary>Adds a per-row column; it must have <see cref="RowCount"/> rows and a name not yet used.</summary>
    public FeatureBatch Add(BatchColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (column.RowCount != RowCount)
        {
            throw new ArgumentException($"Column '{column.Name}' has {column.RowCount} rows; the batch has {RowCount}.", nameof(column));
        }

        var storage = Storage();
        AddName(storage, column.Name);
        storage.Columns.Add(column);
        return this;
    }

    /// <summary>Adds a request-level column; it must have exactly one row and a name not yet used.</summary>
    public FeatureBatch AddShared(BatchColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (column.RowCount != 1)
        {
            throw new ArgumentException($"Shared column '{column.Name}' has {column.RowCount} rows; shared columns have one.", nameof(column));
        }

        var storage = Storage();
        AddName(storage, column.Name);
        storage.SharedColumns.Add(column);
        return this;
    }

    /// <summary>
    /// A float column on this batch's buffers (see <see cref="FloatBatchColumn(string, ArraySegment{float}, int, ArraySegment{byte})"/>),
    /// made of the object of an earlier batch's column when one is spare; valid until the batch is
    /// disposed. Add it with <see cref="Add"/> or <see cref="AddShared"/>.
    /// </summary>
    public FloatBatchColumn CreateFloat(string name, ArraySegment<float> values, int rowCount, ArraySegment<byte> missing = default)
    {
        var storage = Storage();
        if (storage.TakeSpare(FeatureType.Float) is FloatBatchColumn column)
        {
            column.Reset(name, values, rowCount, missing);
        }
        else
        {
            column = new FloatBatchColumn(name, values, rowCount, missing);
        }

        column.Owner = storage;
        return column;
    }

    /// <summary>An int64 column on this batch's buffers, made like <see cref="CreateFloat"/>.</summary>
    public Int64BatchColumn CreateInt64(string name, ArraySegment<long> values, int rowCount, ArraySegment<byte> missing = default)
    {
        var storage = Storage();
        if (storage.TakeSpare(FeatureType.Int64) is Int64BatchColumn column)
        {
            column.Reset(name, values, rowCount, missing);
        }
        else
        {
            column = new Int64BatchColumn(name, values, rowCount, missing);
        }

        column.Owner = storage;
        return column;
    }

    /// <summary>A float-vector column on this batch's buffers, made like <see cref="CreateFloat"/>.</summary>
    public FloatVectorBatchColumn CreateFloatVector(string name, int dimension, ArraySegment<float> values, int rowCount, ArraySegment<byte> missing = default)
    {
        var storage = Storage();
        if (storage.TakeSpare(FeatureType.FloatVector) is FloatVectorBatchColumn column)
        {
            column.Reset(name, dimension, values, rowCount, missing);
        }
        else
        {
            column = new FloatVectorBatchColumn(name, dimension, values, rowCount, missing);
        }

        column.Owner = storage;
        return column;
    }

    /// <summary>
    /// An int64-list column on this batch's buffers, made like <see cref="CreateFloat"/>; its row
    /// offsets go to a buffer of the batch too (the encoder reads them for missing rows).
    /// </summary>
    public Int64ListBatchColumn CreateInt64List(string name, ArraySegment<int> lengths, int rowCount, ArraySegment<long> values, int valueCount, ArraySegment<byte> missing = default)
    {
        var storage = Storage();
        var offsets = Rent<int>(checked(rowCount + 1));
        if (storage.TakeSpare(FeatureType.Int64List) is not Int64ListBatchColumn column)
        {
            column = new Int64ListBatchColumn(name, lengths, rowCount, values, valueCount, missing);
        }

        column.Reset(name, lengths, rowCount, values, valueCount, missing, offsets);
        column.Owner = storage;
        return column;
    }

    /// <summary>
    /// An int64-list column whose values are packed varints (<see cref="Int64ListColumnWriter"/>),
    /// made like <see cref="CreateInt64List"/>.
    /// </summary>
    internal Int64ListBatchColumn CreateInt64ListVarints(string name, ArraySegment<int> lengths, int rowCount, ArraySegment<byte> varints, ArraySegment<int> varintOffsets, int valueCount, ArraySegment<byte> missing)
    {
        var storage = Storage();
        var offsets = Rent<int>(checked(rowCount + 1));
        if (storage.TakeSpare(FeatureType.Int64List) is not Int64ListBatchColumn column)
        {
            column = new Int64ListBatchColumn(name, [], []);
        }

        column.ResetVarints(name, lengths, rowCount, varints, varintOffsets, valueCount, missing, offsets);
        column.Owner = storage;
        return column;
    }

    /// <summary>
    /// <paramref name="length"/> elements for a column's values (old contents: overwrite every element
    /// used), valid until the batch is disposed. Small requests are cut one after another from 64 KB
    /// slabs taken from the shared array pool, so that a request's many columns cost a few pooled
    /// arrays rather than one each (more than the pool keeps, so most would be allocated anew);
    /// a request for more than half a slab gets a pooled array of its own.
    /// </summary>
    public ArraySegment<T> Rent<T>(int length)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var slabLength = SlabBytes / Unsafe.SizeOf<T>();
        if (length > slabLength / 2)
        {
            var own = ArrayPool<T>.Shared.Rent(length);
            Storage().Rented.Add(own);
            return new ArraySegment<T>(own, 0, length);
        }

        ref var slab = ref SlabOf<T>();
        if (slab.Buffer is null || slab.Used + length > slab.Buffer.Length)
        {
            var storage = Storage();
            slab.Buffer = ArrayPool<T>.Shared.Rent(slabLength);
            slab.Used = 0;
            storage.Rented.Add(slab.Buffer);
        }

        var segment = new ArraySegment<T>(slab.Buffer, slab.Used, length);
        slab.Used += length;
        return segment;
    }

    /// <summary>
    /// Returns the rented buffers, and keeps the columns this batch made for a later batch; the
    /// columns must not be used afterwards.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _storage, null) is not { } storage)
        {
            return;
        }

        _floats = default;
        _longs = default;
        _ints = default;
        _bytes = default;
        foreach (var array in storage.Rented)
        {
            switch (array)
            {
                case float[] floats:
                    ArrayPool<float>.Shared.Return(floats);
                    break;
                case long[] longs:
                    ArrayPool<long>.Shared.Return(longs);
                    break;
                case int[] ints:
                    ArrayPool<int>.Shared.Return(ints);
                    break;
                case byte[] bytes:
                    ArrayPool<byte>.Shared.Return(bytes);
                    break;
            }
        }

        storage.Pool.Return(storage);
    }

    private BatchStorage Storage() => _storage ?? throw new ObjectDisposedException(nameof(FeatureBatch));

    private ref Slab<T> SlabOf<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return ref Unsafe.As<Slab<float>, Slab<T>>(ref _floats);
        }

        if (typeof(T) == typeof(long))
        {
            return ref Unsafe.As<Slab<long>, Slab<T>>(ref _longs);
        }

        if (typeof(T) == typeof(int))
        {
            return ref Unsafe.As<Slab<int>, Slab<T>>(ref _ints);
        }

        if (typeof(T) == typeof(byte))
        {
            return ref Unsafe.As<Slab<byte>, Slab<T>>(ref _bytes);
        }

        throw new NotSupportedException($"A batch rents buffers of float, long, int or byte, not {typeof(T).Name}.");
    }

    private static void AddName(BatchStorage storage, string name)
    {
        if (!storage.Names.Add(name))
        {
            throw new ArgumentException($"The batch already has a column named '{name}'.", nameof(name));
        }
    }

    /// <summary>The slab being cut for one element type, and how much of it is taken.</summary>
    private struct Slab<T>
    {
        public T[]? Buffer;
        public int Used;
    }
}
