using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>
/// A column of one variable-length list of 64-bit integers per row: the lengths, and the values of
/// all rows concatenated (<c>Int64ListColumn</c> on the wire).
/// </summary>
/// <remarks>
/// The values are held either as 64-bit integers (the constructors) or already encoded as the
/// wire's packed varints, with each row's byte offsets (<see cref="Int64ListColumnWriter"/>): then
/// encoding the column copies bytes, and <see cref="Values"/> and <see cref="Row"/> decode them
/// once, when first asked.
/// </remarks>
public sealed class Int64ListBatchColumn : BatchColumn
{
    private ArraySegment<int> _lengths;
    private ArraySegment<long> _values;
    private int _valueCount;

    // The varint form: the rows' values as packed varints, and where each row's bytes start (row
    // count + 1 offsets, the last the bytes' end). Array null: the values are in _values.
    private ArraySegment<byte> _varints;
    private ArraySegment<int> _varintOffsets;
    private long[]? _decoded;

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
    public ReadOnlySpan<long> Values => _varints.Array is null ? _values.AsSpan(0, _valueCount) : Decoded();

    /// <summary>The list of one row.</summary>
    public ReadOnlySpan<long> Row(int row) => Values.Slice(Offsets()[row], _lengths[row]);

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

    /// <summary>
    /// Makes this object a column whose values are packed varints, as <see cref="Int64ListColumnWriter"/>
    /// wrote them: <paramref name="varintOffsets"/> (<paramref name="rowCount"/> + 1 elements) says
    /// where each row's bytes start in <paramref name="varints"/>, the last where they end. The
    /// writer encoded each row's list itself, so the bytes are not read again here, only the offsets
    /// checked. <paramref name="offsets"/> as in the other <c>Reset</c>.
    /// </summary>
    internal void ResetVarints(string name, ArraySegment<int> lengths, int rowCount, ArraySegment<byte> varints, ArraySegment<int> varintOffsets, int valueCount, ArraySegment<byte> missing, ArraySegment<int> offsets)
    {
        ArgumentNullException.ThrowIfNull(varints.Array, nameof(varints));
        ArgumentNullException.ThrowIfNull(varintOffsets.Array, nameof(varintOffsets));
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(varintOffsets.Count, rowCount + 1);
        if (varintOffsets[0] != 0 || varintOffsets[rowCount] > varints.Count)
        {
            throw new ArgumentException($"Column '{name}': the varint offsets do not lie within the varints.", nameof(varintOffsets));
        }

        Initialize(name, rowCount, missing);
        SetValues(name, lengths, rowCount, default, valueCount, offsets);
        _varints = varints;
        _varintOffsets = varintOffsets;
    }

    private void SetValues(string name, ArraySegment<int> lengths, int rowCount, ArraySegment<long> values, int valueCount, ArraySegment<int> offsets)
    {
        // values.Array null: the varint form (ResetVarints), whose bytes are checked there.
        var varintForm = values.Array is null;
        ArgumentNullException.ThrowIfNull(lengths.Array, nameof(lengths));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rowCount, lengths.Count);
        if (!varintForm)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(valueCount, values.Count);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(valueCount);
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
        _varints = default;
        _varintOffsets = default;
        _decoded = null;
    }

    /// <summary>The varint form's values, decoded once (two threads may both decode; either array is right).</summary>
    private long[] Decoded()
    {
        if (Volatile.Read(ref _decoded) is { } decoded)
        {
            return decoded;
        }

        decoded = new long[_valueCount];
        ProtoWire.ReadVarints(_varints.AsSpan(0, _varintOffsets[RowCount]), decoded);
        Volatile.Write(ref _decoded, decoded);
        return decoded;
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
            layout.PartB = _varints.Array is null ? ProtoWire.VarintsSize(Values) : _varintOffsets[RowCount];
        }
        else
        {
            int lengthsSize = 0, valuesSize = 0;
            foreach (var row in rows.Indices)
            {
                lengthsSize += ProtoWire.VarintSize((uint)_lengths[row]);
                valuesSize += _varints.Array is null ? ProtoWire.VarintsSize(Row(row)) : _varintOffsets[row + 1] - _varintOffsets[row];
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
            if (_varints.Array is not null)
            {
                CopyVarints(rows, destination[offset..]);
                return;
            }

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

    /// <summary>The varint form's bytes of the rows: runs of consecutive rows copied at once.</summary>
    private void CopyVarints(in RowSet rows, Span<byte> destination)
    {
        var offsets = _varintOffsets.AsSpan();
        if (rows.All)
        {
            _varints.AsSpan(0, offsets[RowCount]).CopyTo(destination);
            return;
        }

        var written = 0;
        var i = 0;
        while (i < rows.Count)
        {
            var first = rows.Indices[i];
            var last = first;
            while (++i < rows.Count && rows.Indices[i] == last + 1)
            {
                last++;
            }

            var bytes = _varints.AsSpan(offsets[first], offsets[last + 1] - offsets[first]);
            bytes.CopyTo(destination[written..]);
            written += bytes.Length;
        }
    }
}
