using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>A column of one opaque byte string per row (<c>BytesColumn</c> on the wire).</summary>
public sealed class BytesBatchColumn : BatchColumn
{
    private readonly ReadOnlyMemory<byte>[] _values;

    /// <param name="name">The feature name.</param>
    /// <param name="values">One value per row (a missing row holds an empty value); not copied.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public BytesBatchColumn(string name, ReadOnlyMemory<byte>[] values, ArraySegment<byte> missing = default)
        : base(name, FeatureType.Bytes, (values ?? throw new ArgumentNullException(nameof(values))).Length, missing)
    {
        _values = values;
    }

    /// <summary>The values, one per row.</summary>
    public ReadOnlySpan<ReadOnlyMemory<byte>> Values => _values;

    internal override long ValueBytes(in RowSet rows)
    {
        long bytes = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            bytes += _values[rows.All ? i : rows.Indices[i]].Length;
        }

        return bytes;
    }

    internal override void MeasureValues(in RowSet rows, ref ColumnLayout layout)
    {
        var size = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            size += ProtoWire.LengthDelimitedSize(_values[rows.All ? i : rows.Indices[i]].Length);
        }

        layout.ValuesBody = size;
    }

    internal override void WriteValues(in RowSet rows, in ColumnLayout layout, Span<byte> destination)
    {
        var offset = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var value = _values[rows.All ? i : rows.Indices[i]].Span;
            offset += ProtoWire.WriteLengthPrefix(destination[offset..], 1, value.Length);
            value.CopyTo(destination[offset..]);
            offset += value.Length;
        }
    }
}
