using System.Buffers.Binary;
using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>A column of one float per row (<c>FloatColumn</c> on the wire).</summary>
public sealed class FloatBatchColumn : BatchColumn
{
    private ArraySegment<float> _values;

    /// <param name="name">The feature name.</param>
    /// <param name="values">One value per row; not copied.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public FloatBatchColumn(string name, float[] values, byte[]? missing = null)
        : this(name, values, (values ?? throw new ArgumentNullException(nameof(values))).Length, Bitmap(missing))
    {
    }

    /// <param name="name">The feature name.</param>
    /// <param name="values">At least <paramref name="rowCount"/> values, one per row, the rest ignored (e.g. a pooled buffer or a batch's slice of one); not copied.</param>
    /// <param name="rowCount">The number of rows.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public FloatBatchColumn(string name, ArraySegment<float> values, int rowCount, ArraySegment<byte> missing = default)
        : base(name, FeatureType.Float, rowCount, missing)
    {
        SetValues(values, rowCount);
    }

    /// <summary>Makes this object another column (a batch reusing it): same checks as the constructor.</summary>
    internal void Reset(string name, ArraySegment<float> values, int rowCount, ArraySegment<byte> missing)
    {
        Initialize(name, rowCount, missing);
        SetValues(values, rowCount);
    }

    /// <summary>The values, one per row.</summary>
    public ReadOnlySpan<float> Values => _values.AsSpan(0, RowCount);

    private void SetValues(ArraySegment<float> values, int rowCount)
    {
        ArgumentNullException.ThrowIfNull(values.Array, nameof(values));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rowCount, values.Count);
        _values = values;
    }

    internal override long ValueBytes(in RowSet rows) => (long)rows.Count * sizeof(float);

    internal override void MeasureValues(in RowSet rows, ref ColumnLayout layout)
    {
        layout.PartA = rows.Count * sizeof(float);
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
            ProtoWire.WriteFloats(destination[offset..], Values);
            return;
        }

        // Rows come in runs (a column's present rows, a model's candidates): each run is one copy.
        var indices = rows.Indices;
        for (var i = 0; i < indices.Length;)
        {
            var end = i + 1;
            while (end < indices.Length && indices[end] == indices[end - 1] + 1)
            {
                end++;
            }

            ProtoWire.WriteFloats(destination[offset..], Values.Slice(indices[i], end - i));
            offset += (end - i) * sizeof(float);
            i = end;
        }
    }
}
