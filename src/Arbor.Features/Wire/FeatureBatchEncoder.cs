using System.Buffers;
using System.Diagnostics;
using System.Text;
using Arbor.Features.Batches;
using Arbor.Features.Selection;

namespace Arbor.Features.Wire;

/// <summary>
/// Serializes the columns of a <see cref="FeatureBatch"/> into protobuf <c>FeatureColumn</c> fields of a
/// <c>LeafScoreRequest</c>, once per request: trimming is then choosing which encoded columns to copy.
/// </summary>
public static class FeatureBatchEncoder
{
    /// <summary>Field number of <c>LeafScoreRequest.columns</c>.</summary>
    internal const int ColumnsField = 4;

    /// <summary>Field number of <c>LeafScoreRequest.shared_columns</c>.</summary>
    internal const int SharedColumnsField = 5;

    /// <summary>Field number of <c>FeatureColumn.missing_omitted</c>.</summary>
    private const int MissingOmittedField = 9;

    /// <summary>Bytes of <c>missing_omitted = true</c>: its tag and a one-byte varint.</summary>
    private const int MissingOmittedSize = 2;

    /// <summary>Encodes every column of the batch over all its rows (the per-request fast path).</summary>
    public static EncodedBatch Encode(FeatureBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return EncodeCore(batch, RowSet.AllOf(batch.RowCount), allowlist: null);
    }

    /// <summary>
    /// Encodes a subset of the rows (for a model that scores only some candidates), and only the
    /// columns of <paramref name="allowlist"/> when one is given. Slower than <see cref="Encode(FeatureBatch)"/>:
    /// the columns are re-encoded for this model alone. Shared columns are unaffected by the subset.
    /// </summary>
    /// <param name="batch">The request's batch.</param>
    /// <param name="rows">Row indices, in the order the leaf request lists them.</param>
    /// <param name="allowlist">The columns to encode; null for all.</param>
    public static EncodedBatch EncodeRows(FeatureBatch batch, ReadOnlySpan<int> rows, ColumnAllowlist? allowlist = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var row in rows)
        {
            if ((uint)row >= (uint)batch.RowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), row, $"Row index out of range for a batch of {batch.RowCount} rows.");
            }
        }

        return EncodeCore(batch, RowSet.Subset(rows), allowlist);
    }

    private static EncodedBatch EncodeCore(FeatureBatch batch, in RowSet rows, ColumnAllowlist? allowlist)
    {
        var perRow = batch.Columns;
        var shared = batch.SharedColumns;
        var capacity = perRow.Count + shared.Count;
        var layouts = ArrayPool<ColumnLayout>.Shared.Rent(capacity);
        var entries = ArrayPool<EncodedColumn>.Shared.Rent(capacity);
        // The present rows of the column at hand when it has missing ones (one column at a time).
        var scratch = ArrayPool<int>.Shared.Rent(Math.Max(rows.Count, 1));
        byte[]? buffer = null;
        try
        {
            var sharedRows = RowSet.AllOf(1);
            var count = 0;
            var total = 0;
            for (var i = 0; i < perRow.Count; i++)
            {
                if (allowlist is null || allowlist.Contains(perRow[i].Name))
                {
                    total = checked(total + Measure(perRow[i], rows, scratch, ref layouts[count++]));
                }
            }

            var firstShared = count;
            for (var i = 0; i < shared.Count; i++)
            {
                if (allowlist is null || allowlist.Contains(shared[i].Name))
                {
                    total = checked(total + Measure(shared[i], sharedRows, scratch, ref layouts[count++]));
                }
            }

            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
            var offset = 0;
            var k = 0;
            for (var i = 0; i < perRow.Count; i++)
            {
                if (allowlist is null || allowlist.Contains(perRow[i].Name))
                {
                    Write(perRow[i], rows, scratch, layouts[k], ColumnsField, buffer.AsSpan(offset, layouts[k].Total));
                    entries[k] = new EncodedColumn(perRow[i].Name, IsShared: false, offset, layouts[k].Total, layouts[k].ValueBytes);
                    offset += layouts[k++].Total;
                }
            }

            for (var i = 0; i < shared.Count; i++)
            {
                if (allowlist is null || allowlist.Contains(shared[i].Name))
                {
                    Write(shared[i], sharedRows, scratch, layouts[k], SharedColumnsField, buffer.AsSpan(offset, layouts[k].Total));
                    entries[k] = new EncodedColumn(shared[i].Name, IsShared: true, offset, layouts[k].Total, layouts[k].ValueBytes);
                    offset += layouts[k++].Total;
                }
            }

            Debug.Assert(k == count && k >= firstShared && offset == total, "The write pass must follow the measure pass.");
            return new EncodedBatch(rows.Count, buffer, total, entries, count);
        }
        catch
        {
            ArrayPool<EncodedColumn>.Shared.Return(entries);
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            throw;
        }
        finally
        {
            ArrayPool<ColumnLayout>.Shared.Return(layouts);
            ArrayPool<int>.Shared.Return(scratch);
        }
    }

    private static int Measure(BatchColumn column, in RowSet rows, int[] scratch, ref ColumnLayout layout)
    {
        layout = default;
        layout.NameBytes = Encoding.UTF8.GetByteCount(column.Name);
        if (AnyMissing(column, rows))
        {
            // Missing rows cost their bit only: the values hold the present rows (missing_omitted).
            layout.MissingBytes = MissingBitmap.ByteCount(rows.Count);
            var present = PresentRows(column, rows, scratch);
            column.MeasureValues(present, ref layout);
            layout.ValueBytes = column.ValueBytes(present);
        }
        else
        {
            column.MeasureValues(rows, ref layout);
            layout.ValueBytes = column.ValueBytes(rows);
        }

        layout.Body = ProtoWire.LengthDelimitedSize(layout.NameBytes)
            + (layout.MissingBytes == 0 ? 0 : ProtoWire.LengthDelimitedSize(layout.MissingBytes) + MissingOmittedSize)
            + ProtoWire.LengthDelimitedSize(layout.ValuesBody);
        layout.Total = ProtoWire.LengthDelimitedSize(layout.Body);
        return layout.Total;
    }

    private static void Write(BatchColumn column, in RowSet rows, int[] scratch, in ColumnLayout layout, int fieldNumber, Span<byte> destination)
    {
        var offset = ProtoWire.WriteLengthPrefix(destination, fieldNumber, layout.Body);
        offset += ProtoWire.WriteLengthPrefix(destination[offset..], 1, layout.NameBytes);
        offset += Encoding.UTF8.GetBytes(column.Name, destination[offset..]);
        if (layout.MissingBytes == 0)
        {
            offset += ProtoWire.WriteLengthPrefix(destination[offset..], column.ValuesFieldNumber, layout.ValuesBody);
            column.WriteValues(rows, layout, destination.Slice(offset, layout.ValuesBody));
            offset += layout.ValuesBody;
        }
        else
        {
            offset += ProtoWire.WriteLengthPrefix(destination[offset..], 2, layout.MissingBytes);
            var bitmap = destination.Slice(offset, layout.MissingBytes);
            if (rows.All)
            {
                column.Missing.CopyTo(bitmap);
            }
            else
            {
                bitmap.Clear();
                for (var i = 0; i < rows.Count; i++)
                {
                    if (column.IsMissing(rows.Indices[i]))
                    {
                        MissingBitmap.Set(bitmap, i);
                    }
                }
            }

            offset += layout.MissingBytes;
            offset += ProtoWire.WriteLengthPrefix(destination[offset..], column.ValuesFieldNumber, layout.ValuesBody);
            column.WriteValues(PresentRows(column, rows, scratch), layout, destination.Slice(offset, layout.ValuesBody));
            offset += layout.ValuesBody;
            destination[offset++] = ProtoWire.Tag(MissingOmittedField, ProtoWire.WireTypeVarint);
            destination[offset++] = 1;
        }

        Debug.Assert(offset == layout.Total, "The column must fill its measured size.");
    }

    /// <summary>The rows of <paramref name="rows"/> that have a value, as batch row indices in <paramref name="scratch"/>.</summary>
    private static RowSet PresentRows(BatchColumn column, in RowSet rows, int[] scratch)
    {
        if (rows.All)
        {
            return RowSet.Subset(scratch.AsSpan(0, MissingBitmap.PresentRows(column.Missing, rows.Count, scratch)));
        }

        var count = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows.Indices[i];
            if (!column.IsMissing(row))
            {
                scratch[count++] = row;
            }
        }

        return RowSet.Subset(scratch.AsSpan(0, count));
    }

    private static bool AnyMissing(BatchColumn column, in RowSet rows)
    {
        if (!column.HasMissing)
        {
            return false;
        }

        if (rows.All)
        {
            return true;
        }

        foreach (var row in rows.Indices)
        {
            if (column.IsMissing(row))
            {
                return true;
            }
        }

        return false;
    }
}
