using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>
/// A column of one fixed-length float vector per row, rows concatenated (<c>FloatVectorColumn</c> on
/// the wire).
/// </summary>
public sealed class FloatVectorBatchColumn : BatchColumn
{
    private ArraySegment<float> _values;

    /// <param name="name">The feature name.</param>
    /// <param name="dimension">The vector length (positive).</param>
    /// <param name="values">rows × <paramref name="dimension"/> values, rows concatenated; not copied.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public FloatVectorBatchColumn(string name, int dimension, float[] values, byte[]? missing = null)
        : base(name, FeatureType.FloatVector, RowsOf(name, dimension, values), Bitmap(missing))
    {
        _values = values;
        Dimension = dimension;
    }

    /// <param name="name">The feature name.</param>
    /// <param name="dimension">The vector length (positive).</param>
    /// <param name="values">At least <paramref name="rowCount"/> × <paramref name="dimension"/> values, rows concatenated, the rest ignored (e.g. a pooled buffer or a batch's slice of one); not copied.</param>
    /// <param name="rowCount">The number of rows.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public FloatVectorBatchColumn(string name, int dimension, ArraySegment<float> values, int rowCount, ArraySegment<byte> missing = default)
        : base(name, FeatureType.FloatVector, rowCount, missing)
    {
        SetValues(dimension, values, rowCount);
    }

    /// <summary>The vector length.</summary>
    public int Dimension { get; private set; }

    /// <summary>Makes this object another column (a batch reusing it): same checks as the constructor.</summary>
    internal void Reset(string name, int dimension, ArraySegment<float> values, int rowCount, ArraySegment<byte> missing)
    {
        Initialize(name, rowCount, missing);
        SetValues(dimension, values, rowCount);
    }

    /// <summary>All values, rows concatenated.</summary>
    public ReadOnlySpan<float> Values => _values.AsSpan(0, RowCount * Dimension);

    /// <summary>The vector of one row.</summary>
    public ReadOnlySpan<float> Row(int row) => _values.AsSpan(row * Dimension, Dimension);

    private void SetValues(int dimension, ArraySegment<float> values, int rowCount)
    {
        ArgumentNullException.ThrowIfNull(values.Array, nameof(values));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)rowCount * dimension, values.Count, nameof(rowCount));
        _values = values;
        Dimension = dimension;
    }

    internal override long ValueBytes(in RowSet rows) => (long)rows.Count * Dimension * sizeof(float);

    internal override void MeasureValues(in RowSet rows, ref ColumnLayout layout)
    {
        layout.PartA = rows.Count * Dimension * sizeof(float);
        layout.ValuesBody = 1 + ProtoWire.VarintSize((uint)Dimension)
            + (layout.PartA == 0 ? 0 : ProtoWire.LengthDelimitedSize(layout.PartA));
    }

    internal override void WriteValues(in RowSet rows, in ColumnLayout layout, Span<byte> destination)
    {
        destination[0] = ProtoWire.Tag(1, ProtoWire.WireTypeVarint);
        var offset = 1 + ProtoWire.WriteVarint(destination[1..], (uint)Dimension);
        if (layout.PartA == 0)
        {
            return;
        }

        offset += ProtoWire.WriteLengthPrefix(destination[offset..], 2, layout.PartA);
        if (rows.All)
        {
            ProtoWire.WriteFloats(destination[offset..], Values);
            return;
        }

        var rowBytes = Dimension * sizeof(float);
        foreach (var row in rows.Indices)
        {
            ProtoWire.WriteFloats(destination[offset..], Row(row));
            offset += rowBytes;
        }
    }

    private static int RowsOf(string name, int dimension, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (dimension <= 0 || values.Length % dimension != 0)
        {
            throw new ArgumentException(
                $"Column '{name}': {values.Length} values do not make whole vectors of dimension {dimension}.",
                nameof(values));
        }

        return values.Length / dimension;
    }
}
