using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>
/// Builds an int64-list column on a batch's buffers one row at a time, encoding each row's values
/// at once as the wire's packed varints: each list is read once, never copied as 64-bit integers,
/// and encoding the column then copies bytes. Call <see cref="Add"/> or <see cref="AddEmpty"/> once
/// per row, in row order, then <see cref="Create"/>. A default instance has no batch and cannot be
/// used.
/// </summary>
public struct Int64ListColumnWriter
{
    // A varint takes at most 10 bytes (a negative int64).
    private const int MaxVarintBytes = 10;

    // The first buffer's bytes per row: a list of about twenty ids below 2^21, as a reference
    // candidate's, fits without the buffer doubling.
    private const int FirstBytesPerRow = 64;

    private readonly FeatureBatch _batch;
    private readonly int _rowCount;
    private readonly ArraySegment<int> _lengths;
    private readonly ArraySegment<int> _ends;
    private ArraySegment<byte> _bytes;
    private int _used;
    private int _rows;
    private int _values;

    /// <summary>Starts a column of <paramref name="batch"/>'s row count on its buffers.</summary>
    public Int64ListColumnWriter(FeatureBatch batch)
        : this(batch, (batch ?? throw new ArgumentNullException(nameof(batch))).RowCount)
    {
    }

    /// <summary>Starts a column of <paramref name="rowCount"/> rows on <paramref name="batch"/>'s buffers (one for a shared column).</summary>
    public Int64ListColumnWriter(FeatureBatch batch, int rowCount)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        _batch = batch;
        _rowCount = rowCount;
        _lengths = batch.Rent<int>(rowCount);
        _ends = batch.Rent<int>(checked(rowCount + 1));
        _ends[0] = 0;
        _bytes = batch.Rent<byte>(checked(rowCount * FirstBytesPerRow));
    }

    /// <summary>The next row's list.</summary>
    public void Add(ReadOnlySpan<long> list)
    {
        CheckRoomForARow();
        var room = checked(list.Length * MaxVarintBytes);
        if (_bytes.Count - _used < room)
        {
            Grow(room);
        }

        _used += ProtoWire.WriteVarints(_bytes.AsSpan(_used), list);
        EndRow(list.Length);
    }

    /// <summary>The next row's empty list (also a missing row's placeholder).</summary>
    public void AddEmpty()
    {
        CheckRoomForARow();
        EndRow(0);
    }

    /// <summary>The column, once every row was added; it lies on the batch's buffers.</summary>
    public readonly Int64ListBatchColumn Create(string name, ArraySegment<byte> missing = default)
    {
        if (_batch is null || _rows != _rowCount)
        {
            throw new InvalidOperationException($"Column '{name}': {_rows} rows were added, {_rowCount} expected.");
        }

        return _batch.CreateInt64ListVarints(name, _lengths, _rows, _bytes, _ends, _values, missing);
    }

    private readonly void CheckRoomForARow()
    {
        if (_batch is null || _rows >= _rowCount)
        {
            throw new InvalidOperationException("Every row of the column was already added.");
        }
    }

    private void EndRow(int length)
    {
        _lengths[_rows] = length;
        _values = checked(_values + length);
        _ends[++_rows] = _used;
    }

    private void Grow(int room)
    {
        var bigger = _batch.Rent<byte>(Math.Max(checked(_bytes.Count * 2), checked(_used + room)));
        _bytes.AsSpan(0, _used).CopyTo(bigger);
        _bytes = bigger;
    }
}
