using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>
/// A column of one variable-length list of 64-bit integers per row: the lengths, and the values of
/// all rows concatenated (<c>Int64ListColumn</c> on the wire).
/// </summary>
public sealed class Int64ListBatchColumn : BatchColumn
{
    private ArraySegment<int> _lengths;
    private ArraySegment<long> _values;
    private int _valueCount;

    // Where each row's list starts: filled with the lengths when the batch gives room for it, else
    // computed on the first Row call (the wire encoding reads rows only when some are missing or a
    // subset is encoded). Two threads may both compute it; either array is right.
    private ArraySegment<int> _offsets;
    private int[]? _computedOffsets;

    /// <param name="name">The feature name.</param>
    /// <param name="lengths">The list length of each row; not copied.</param>
    /// <param name="values">The values of every row concatenated (as many as the lengths add up to); not copied.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public Int64ListBatchColumn(string name, int[] lengths, long[] values, byte[]? missing = null)
        : this(name, lengths, (lengths ?? throw new ArgumentNullException(nameof(lengths))).Length, values, (values ?? throw new ArgumentNullException(nameof(values))).Length, Bitmap(missing))
    {
    }

    /// <param name="name">The feature name.</param>
    /// <param name="lengths">At least <paramref name="rowCount"/> list lengths, the rest ignored (e.g. a pooled buffer or a batch's slice of one); not copied.</param>
    /// <param name="rowCount">The number of rows.</param>
    /// <param name="values">At least <paramref name="valueCount"/> values, every row's concatenated, the rest ignored; not copied.</param>
    /// <param name="valueCount">How many values the lengths add up to.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public Int64ListBatchColumn(string name, ArraySegment<int> lengths, int rowCount, ArraySegment<long> values, int valueCount, ArraySegment<byte> missing = default)
        : base(name, FeatureType.Int64List, rowCount, missing)
    {
        SetValues(name, lengths, rowCount, values, valueCount, offsets: default);
    }

    /// <summary>The list length of each row.</summary>
    public ReadOnlySpan<int> Lengths => _lengths.AsSpan(0, RowCount);

    /// <summary>All values, rows concatenated.</summary>
    public ReadOnlySpan<long> Values => _values.AsSpan(0, _valueCount);

    /// <summary>The list of one row.</summary>
    public ReadOnlySpan<long> Row(int row) => _values.AsSpan(Offsets()[row], _lengths[row]);

    /// <summary>
    /// Makes this object another column (a batch reusing it, or making it): same checks as the
    /// constructor; <paramref name="offsets"/> (<paramref name="rowCount"/> + 1 elements) receives the
    /// rows' offsets.
    /// </summary>
    internal void Reset(string name, ArraySegment<int> lengths, int rowCount, ArraySegment<long> values, int valueCount, ArraySegment<byte> missing, ArraySegment<int> offsets)
    {
        Initialize(name, rowCount, missing);
        SetValues(name, lengths, rowCount, values, valueCount, offsets);
    }

    private void SetValues(string name, ArraySegment<int> lengths, int rowCount, ArraySegment<long> values, int valueCount, ArraySegment<int> offsets)
    {
        ArgumentNullException.ThrowIfNull(lengths.Array, nameof(lengths));
        ArgumentNullException.ThrowIfNull(values.Array, nameof(values));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rowCount, lengths.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(valueCount, values.Count);
        var keep = offsets.Array is not null && offsets.Count > rowCount;
        long total = 0;
        for (var i = 0; i < rowCount; i++)
        {
            if (lengths[i] < 0)
            {
                throw new ArgumentException($"Column '{name}': row {i} has a negative length.", nameof(lengths));
            }

            if (keep)
            {
                offsets[i] = (int)total;
            }

            total += lengths[i];
            if (total > valueCount)
            {
                break;
            }
        }

        if (total != valueCount)
        {
            throw new ArgumentException(
                $"Column '{name}': the row lengths add up to {total}, but {valueCount} values were given.",
                nameof(values));
        }

        if (keep)
        {
            offsets[rowCount] = valueCount;
        }

        _lengths = lengths;
        _values = values;
        _valueCount = valueCount;
        _offsets = keep ? offsets : default;
        _computedOffsets = null;
    }

    private ReadOnlySpan<int> Offsets()
    {
        if (_offsets.Array is not null)
        {
            return _offsets;
        }

        if (Volatile.Read(ref _computedOffsets) is { } offsets)
        {
            return offsets;
        }

        offsets = new int[RowCount + 1];
        for (var i = 0; i < RowCount; i++)
        {
            offsets[i + 1] = offsets[i] + _lengths[i];
        }

        Volatile.Write(ref _computedOffsets, offsets);
        return offsets;
    }

    internal override long ValueBytes(in RowSet rows)
    {
        long ids = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            ids += _lengths[rows.All ? i : rows.Indices[i]];
        }

        return ids * sizeof(long);
    }

    internal override void MeasureValues(in RowSet rows, ref ColumnLayout layout)
    {
        if (rows.All)
        {
            layout.PartA = ProtoWire.VarintsSize(Lengths);
            layout.PartB = ProtoWire.VarintsSize(Values);
        }
        else
        {
            int lengthsSize = 0, valuesSize = 0;
            foreach (var row in rows.Indices)
            {
                lengthsSize += ProtoWire.VarintSize((uint)_lengths[row]);
                valuesSize += ProtoWire.VarintsSize(Row(row));
            }

            layout.PartA = lengthsSize;
            layout.PartB = valuesSize;
        }

        layout.ValuesBody = (layout.PartA == 0 ? 0 : ProtoWire.LengthDelimitedSize(layout.PartA))
            + (layout.PartB == 0 ? 0 : ProtoWire.LengthDelimitedSize(layout.PartB));
    }

    internal override void WriteValues(in RowSet rows, in ColumnLayout layout, Span<byte> destination)
    {
        var offset = 0;
        if (layout.PartA != 0)
        {
            offset += ProtoWire.WriteLengthPrefix(destination, 1, layout.PartA);
            if (rows.All)
            {
                foreach (var length in Lengths)
                {
                    offset += ProtoWire.WriteVarint(destination[offset..], (uint)length);
                }
            }
            else
            {
                foreach (var row in rows.Indices)
                {
                    offset += ProtoWire.WriteVarint(destination[offset..], (uint)_lengths[row]);
                }
            }
        }

        if (layout.PartB != 0)
        {
            offset += ProtoWire.WriteLengthPrefix(destination[offset..], 2, layout.PartB);
            if (rows.All)
            {
                ProtoWire.WriteVarints(destination[offset..], Values);
                return;
            }

            foreach (var row in rows.Indices)
            {
                offset += ProtoWire.WriteVarints(destination[offset..], Row(row));
            }
        }
    }
}
