using System.Buffers;
using System.Runtime.CompilerServices;

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
/// encoded, and use its columns no more.
/// </remarks>
public sealed class FeatureBatch : IDisposable
{
    // Below the large-object heap's 85,000 bytes: a slab is an ordinary pooled array.
    private const int SlabBytes = 64 * 1024;

    private List<Array>? _rented;
    private Slab<float> _floats;
    private Slab<long> _longs;
    private Slab<int> _ints;
    private Slab<byte> _bytes;
    private readonly List<BatchColumn> _columns;
    private readonly List<BatchColumn> _sharedColumns = [];
    private readonly HashSet<string> _names;

    /// <param name="rowCount">The number of rows (candidates).</param>
    /// <param name="columnCapacity">The expected number of per-row columns.</param>
    public FeatureBatch(int rowCount, int columnCapacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        RowCount = rowCount;
        _columns = new List<BatchColumn>(columnCapacity);
        _names = new HashSet<string>(columnCapacity, StringComparer.Ordinal);
    }

    /// <summary>The number of rows (candidates).</summary>
    public int RowCount { get; }

    /// <summary>Per-row columns, in the order they were added.</summary>
    public IReadOnlyList<BatchColumn> Columns => _columns;

    /// <summary>Request-level columns (one row each), in the order they were added.</summary>
    public IReadOnlyList<BatchColumn> SharedColumns => _sharedColumns;

    /// <summary>Adds a per-row column; it must have <see cref="RowCount"/> rows and a name not yet used.</summary>
    public FeatureBatch Add(BatchColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (column.RowCount != RowCount)
        {
            throw new ArgumentException($"Column '{column.Name}' has {column.RowCount} rows; the batch has {RowCount}.", nameof(column));
        }

        AddName(column.Name);
        _columns.Add(column);
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

        AddName(column.Name);
        _sharedColumns.Add(column);
        return this;
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
            (_rented ??= []).Add(own);
            return new ArraySegment<T>(own, 0, length);
        }

        ref var slab = ref SlabOf<T>();
        if (slab.Buffer is null || slab.Used + length > slab.Buffer.Length)
        {
            slab.Buffer = ArrayPool<T>.Shared.Rent(slabLength);
            slab.Used = 0;
            (_rented ??= []).Add(slab.Buffer);
        }

        var segment = new ArraySegment<T>(slab.Buffer, slab.Used, length);
        slab.Used += length;
        return segment;
    }

    /// <summary>Returns the rented buffers; the columns built on them must not be used afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is not { } rented)
        {
            return;
        }

        _floats = default;
        _longs = default;
        _ints = default;
        _bytes = default;
        foreach (var array in rented)
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
    }

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

    private void AddName(string name)
    {
        if (!_names.Add(name))
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
