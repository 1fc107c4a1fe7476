using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>
/// A column of one variable-length list of 64-bit integers per row: the lengths, and the values of
/// all rows concatenated (<c>Int64ListColumn</c> on the wire).
/// </summary>
public sealed class Int64ListBatchColumn : BatchColumn
{
    private readonly int[] _lengths;
    private readonly int[] _offsets;
    private readonly long[] _values;

    /// <param name="name">The feature name.</param>
    /// <param name="lengths">The list length of each row; not copied.</param>
    /// <param name="values">The values of every row concatenated (as many as the lengths add up to); not copied.</param>
    /// <param name="missing">Optional missing bitmap (see <see cref="MissingBitmap"/>).</param>
    public Int64ListBatchColumn(string name, int[] lengths, long[] values, byte[]? missing = null)
        : base(name, FeatureKind.Int64List, (lengths ?? throw new ArgumentNullException(nameof(lengths))).Length, missing)
    {
        ArgumentNullException.ThrowIfNull(values);
        _offsets = new int[lengths.Length + 1];
        long total = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            if (lengths[i] < 0)
            {
                throw new ArgumentException($"Column '{name}': row {i} has a negative length.", nameof(lengths));
            }

            total += lengths[i];
            if (total > values.Length)
            {
                break;
            }

            _offsets[i + 1] = (int)total;
        }

        if (total != values.Length)
        {
            throw new ArgumentException(
                $"Column '{name}': the row lengths add up to {total}, but {values.Length} values were given.",
                nameof(values));
        }

        _lengths = lengths;
        _values = values;
    }

    /// <summary>The list length of each row.</summary>
    public ReadOnlySpan<int> Lengths => _lengths;

    /// <summary>All values, rows concatenated.</summary>
    public ReadOnlySpan<long> Values => _values;

    /// <summary>The list of one row.</summary>
    public ReadOnlySpan<long> Row(int row) => _values.AsSpan(_offsets[row], _lengths[row]);

    internal override void MeasureValues(in RowSet rows, ref ColumnLayout layout)
    {
        if (rows.All)
        {
            layout.PartA = ProtoWire.VarintsSize(_lengths);
            layout.PartB = ProtoWire.VarintsSize(_values);
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
                foreach (var length in _lengths)
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
                ProtoWire.WriteVarints(destination[offset..], _values);
                return;
            }

            foreach (var row in rows.Indices)
            {
                offset += ProtoWire.WriteVarints(destination[offset..], Row(row));
            }
        }
    }
}
