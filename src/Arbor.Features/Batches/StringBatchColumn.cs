using System.Text;
using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>A column of one string per row (<c>StringColumn</c> on the wire, UTF-8).</summary>
public sealed class StringBatchColumn : BatchColumn
{
    private readonly string[] _values;

    /// <param name="name">The feature name.</param>
    /// <param name="values">One value per row (a missing row holds an empty string); not copied.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public StringBatchColumn(string name, string[] values, ArraySegment<byte> missing = default)
        : base(name, FeatureType.String, (values ?? throw new ArgumentNullException(nameof(values))).Length, missing)
    {
        if (Array.IndexOf(values, null) is var nullRow and >= 0)
        {
            throw new ArgumentException($"Column '{name}': row {nullRow} is null (use an empty string and mark it missing).", nameof(values));
        }

        _values = values;
    }

    /// <summary>The values, one per row.</summary>
    public IReadOnlyList<string> Values => _values;

    internal override long ValueBytes(in RowSet rows)
    {
        long bytes = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            bytes += Encoding.UTF8.GetByteCount(_values[rows.All ? i : rows.Indices[i]]);
        }

        return bytes;
    }

    internal override void MeasureValues(in RowSet rows, ref ColumnLayout layout)
    {
        var size = 0;
        if (rows.All)
        {
            foreach (var value in _values)
            {
                size += ProtoWire.LengthDelimitedSize(Encoding.UTF8.GetByteCount(value));
            }
        }
        else
        {
            foreach (var row in rows.Indices)
            {
                size += ProtoWire.LengthDelimitedSize(Encoding.UTF8.GetByteCount(_values[row]));
            }
        }

        layout.ValuesBody = size;
    }

    internal override void WriteValues(in RowSet rows, in ColumnLayout layout, Span<byte> destination)
    {
        var offset = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var value = _values[rows.All ? i : rows.Indices[i]];
            offset += ProtoWire.WriteLengthPrefix(destination[offset..], 1, Encoding.UTF8.GetByteCount(value));
            offset += Encoding.UTF8.GetBytes(value, destination[offset..]);
        }
    }
}
