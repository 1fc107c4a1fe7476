using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>A column of one 64-bit integer per row (<c>Int64Column</c> on the wire).</summary>
public sealed class Int64BatchColumn : BatchColumn
{
    private ArraySegment<long> _values;

    /// <param name="name">The feature name.</param>
    /// <param name="values">One value per row; not copied.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public Int64BatchColumn(string name, long[] values, byte[]? missing = null)
        : this(name, values, (values ?? throw new ArgumentNullException(nameof(values))).Length, Bitmap(missing))
    {
    }

    /// <param name="name">The feature name.</param>
    /// <param name="values">At least <paramref name="rowCount"/> values, one per row, the rest ignored (e.g. a pooled buffer or a batch's slice of one); not copied.</param>
    /// <param name="rowCount">The number of rows.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public Int64BatchColumn(string name, ArraySegment<long> values, int rowCount, ArraySegment<byte> missing = default)
        : base(name, FeatureType.Int64, rowCount, missing)
    {
        SetValues(values, rowCount);
    }

    /// <summary>Makes this object another column (a batch reusing it): same checks as the constructor.</summary>
    internal void Reset(string name, ArraySegment<long> values, int rowCount, ArraySegment<byte> missing)
    {
        Initialize(name, rowCount, missing);
        SetValues(values, rowCount);
    }

    /// <summary>The values, one per row.</summary>
    public ReadOnlySpan<long> Values => _values.AsSpan(0, RowCount);

    private void SetValues(ArraySegment<long> values, int rowCount)
    {
        ArgumentNullException.ThrowIfNull(values.Array, nameof(values));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rowCount, values.Count);
        _values = values;
    }

    internal override long ValueBytes(in RowSet rows) => (long)rows.Count * sizeof(long);

    internal override void MeasureValues(in RowSet rows, ref ColumnLayout layout)
    {
        if (rows.All)
        {
            layout.PartA = ProtoWire.VarintsSize(Values);
        }
        else
        {
            var size = 0;
            foreach (var row in rows.Indices)
            {
                size += ProtoWire.VarintSize((ulong)_values[row]);
            }

            layout.PartA = size;
        }

        layout.ValuesBody = rows.Count == 0 ? 0 : ProtoWire.LengthDelimitedSize(layout.PartA);
    }

    internal override void WriteValues(in RowSet rows, in ColumnLayout layout, Span<byte> destination)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var offset = ProtoWire.WriteLengthPrefix(destination, 1, layout.PartA);
        if (rows.All)
        {
            ProtoWire.WriteVarints(destination[offset..], Values);
            return;
        }

        foreach (var row in rows.Indices)
        {
            offset += ProtoWire.WriteVarint(destination[offset..], (ulong)_values[row]);
        }
    }
}
