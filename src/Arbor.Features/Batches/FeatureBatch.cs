using System.Buffers;

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
    private List<Array>? _rented;
    private readonly List<BatchColumn> _columns;
    private readonly List<BatchColumn> _sharedColumns = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <param name="rowCount">The number of rows (candidates).</param>
    /// <param name="columnCapacity">The expected number of per-row columns.</param>
    public FeatureBatch(int rowCount, int columnCapacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        RowCount = rowCount;
        _columns = new List<BatchColumn>(columnCapacity);
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

    /// <summary>A buffer of at least <paramref name="length"/> elements from the shared pool (old contents: overwrite every element used), returned when the batch is disposed.</summary>
    public T[] Rent<T>(int length)
        where T : unmanaged
    {
        var array = ArrayPool<T>.Shared.Rent(length);
        (_rented ??= []).Add(array);
        return array;
    }

    /// <summary>Returns the rented buffers; the columns built on them must not be used afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is not { } rented)
        {
            return;
        }

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

    private void AddName(string name)
    {
        if (!_names.Add(name))
        {
            throw new ArgumentException($"The batch already has a column named '{name}'.", nameof(name));
        }
    }
}
