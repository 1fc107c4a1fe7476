using System.Buffers;
using System.Text;
using Arbor.Features.Selection;
using Arbor.Features.Wire;

namespace Arbor.Features.Requests;

/// <summary>
/// Writes a complete protobuf <c>LeafScoreRequest</c> from its header fields and pre-encoded columns:
/// the columns an allowlist names (trimmed), or every column (untrimmed). Copies bytes only; no column
/// is serialized here.
/// </summary>
public static class LeafRequestWriter
{
    // Allowlists up to this size mark their present features on the stack.
    private const int StackLimit = 1024;

    /// <summary>The size <see cref="Write(IBufferWriter{byte}, in LeafRequestHeader, EncodedBatch, in TrimDecision)"/> would write (for a length prefix).</summary>
    public static int Measure(in LeafRequestHeader header, EncodedBatch batch, ColumnAllowlist? allowlist)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var size = HeaderSize(header, batch.RowCount);
        var columns = batch.Columns;
        var positions = allowlist is null ? default : batch.PositionsOf(allowlist);
        for (var c = 0; c < columns.Length; c++)
        {
            if (allowlist is null || positions[c] >= 0)
            {
                size += columns[c].Length;
            }
        }

        return size;
    }

    /// <summary>
    /// The size <see cref="Write(IBufferWriter{byte}, in LeafRequestHeader, EncodedBatch, in TrimDecision)"/>
    /// would write: the columns and, when trimmed, the <c>trimmed_for</c> field.
    /// </summary>
    public static int Measure(in LeafRequestHeader header, EncodedBatch batch, in TrimDecision decision) =>
        Measure(header, batch, decision.Allowlist) + TrimmedForSize(decision, batch);

    /// <summary>
    /// Writes the request trimmed as <paramref name="decision"/> says (untrimmed on pass-through). A
    /// trimmed request ends with <c>trimmed_for</c> (model, allowlist version, allowlist hash), so the
    /// leaf can refuse it when the version it serves needs a feature the trim removed.
    /// </summary>
    public static LeafRequestWriteResult Write(IBufferWriter<byte> output, in LeafRequestHeader header, EncodedBatch batch, in TrimDecision decision)
    {
        var result = Write(output, header, batch, decision.Allowlist);
        var size = TrimmedForSize(decision, batch);
        if (size == 0)
        {
            return result;
        }

        output.Advance(WriteTrimmedFor(output.GetSpan(size), 7, decision, batch));
        return result with { MessageBytes = result.MessageBytes + size };
    }

    /// <summary>Writes the request with the columns <paramref name="allowlist"/> names, or all when it is null.</summary>
    public static LeafRequestWriteResult Write(IBufferWriter<byte> output, in LeafRequestHeader header, EncodedBatch batch, ColumnAllowlist? allowlist)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentException.ThrowIfNullOrEmpty(header.Model);

        var headerSize = HeaderSize(header, batch.RowCount);
        var span = output.GetSpan(headerSize);
        var offset = WriteString(span, 1, header.Model);
        if (!string.IsNullOrEmpty(header.Version))
        {
            offset += WriteString(span[offset..], 2, header.Version);
        }

        if (batch.RowCount != 0)
        {
            span[offset++] = ProtoWire.Tag(3, ProtoWire.WireTypeVarint);
            offset += ProtoWire.WriteVarint(span[offset..], (uint)batch.RowCount);
        }

        var requestIdStart = offset;
        if (!string.IsNullOrEmpty(header.RequestId))
        {
            offset += WriteString(span[offset..], 6, header.RequestId);
        }

        // request_id (field 6) goes after the columns, so only the fields before it are committed now.
        output.Advance(requestIdStart);

        int written = 0, removed = 0;
        long bytesWritten = headerSize, bytesRemoved = 0, valueBytes = 0;
        var columns = batch.Columns;
        var positions = allowlist is null ? default : batch.PositionsOf(allowlist);
        for (var c = 0; c < columns.Length; c++)
        {
            ref readonly var column = ref columns[c];
            if (allowlist is not null && positions[c] < 0)
            {
                removed++;
                bytesRemoved += column.Length;
                continue;
            }

            output.Write(batch.GetBytes(column));
            written++;
            bytesWritten += column.Length;
            valueBytes += column.ValueBytes;
        }

        if (offset > requestIdStart)
        {
            var tail = output.GetSpan(offset - requestIdStart);
            WriteString(tail, 6, header.RequestId!);
            output.Advance(offset - requestIdStart);
        }

        var absent = allowlist is null ? 0 : allowlist.Count - written;
        return new LeafRequestWriteResult(checked((int)bytesWritten), written, removed, bytesRemoved, absent, valueBytes);
    }

    /// <summary>The size of the whole <c>trimmed_for</c> field (tag, length, message) <paramref name="decision"/> needs; 0 on pass-through.</summary>
    internal static int TrimmedForSize(in TrimDecision decision, EncodedBatch batch)
    {
        if (decision.Allowlist is not { } allowlist)
        {
            return 0;
        }

        var rented = allowlist.Count > StackLimit ? ArrayPool<bool>.Shared.Rent(allowlist.Count) : null;
        Span<bool> present = rented is null ? stackalloc bool[allowlist.Count] : rented.AsSpan(0, allowlist.Count);
        MarkPresent(allowlist, batch, present);
        var size = ProtoWire.LengthDelimitedSize(TrimmedForBodySize(decision, present));
        if (rented is not null)
        {
            ArrayPool<bool>.Shared.Return(rented);
        }

        return size;
    }

    /// <summary>
    /// Writes <c>trimmed_for</c> as field <paramref name="fieldNumber"/> (model, allowlist version and
    /// hash, the allowlisted features the batch lacked) into <paramref name="span"/>; returns the bytes
    /// written, <see cref="TrimmedForSize"/>. Nothing on pass-through.
    /// </summary>
    internal static int WriteTrimmedFor(Span<byte> span, int fieldNumber, in TrimDecision decision, EncodedBatch batch)
    {
        if (decision.Allowlist is not { } allowlist)
        {
            return 0;
        }

        var rented = allowlist.Count > StackLimit ? ArrayPool<bool>.Shared.Rent(allowlist.Count) : null;
        Span<bool> present = rented is null ? stackalloc bool[allowlist.Count] : rented.AsSpan(0, allowlist.Count);
        MarkPresent(allowlist, batch, present);
        var offset = ProtoWire.WriteLengthPrefix(span, fieldNumber, TrimmedForBodySize(decision, present));
        offset += WriteString(span[offset..], 1, decision.Model);
        if (!string.IsNullOrEmpty(decision.AllowlistVersion))
        {
            offset += WriteString(span[offset..], 2, decision.AllowlistVersion);
        }

        offset += WriteString(span[offset..], 3, allowlist.Sha256);
        for (var i = 0; i < present.Length; i++)
        {
            if (!present[i])
            {
                offset += WriteString(span[offset..], 4, allowlist.Features[i]);
            }
        }

        if (rented is not null)
        {
            ArrayPool<bool>.Shared.Return(rented);
        }

        return offset;
    }

    private static int HeaderSize(in LeafRequestHeader header, int rowCount)
    {
        var size = StringSize(header.Model);
        size += StringSize(header.Version);
        size += StringSize(header.RequestId);
        if (rowCount != 0)
        {
            size += 1 + ProtoWire.VarintSize((uint)rowCount);
        }

        return size;
    }

    // The whole trimmed_for field (tag, length, message); 0 on pass-through.
    // Which allowlisted features the batch has (present[i] for allowlist.Features[i]).
    private static void MarkPresent(ColumnAllowlist allowlist, EncodedBatch batch, Span<bool> present)
    {
        present.Clear();
        foreach (var position in batch.PositionsOf(allowlist))
        {
            if (position >= 0)
            {
                present[position] = true;
            }
        }
    }

    // trimmed_for: model, allowlist version and hash, and the allowlisted features the batch lacked
    // (so the leaf can tell "absent at the root" from "removed by the trim").
    private static int TrimmedForBodySize(in TrimDecision decision, ReadOnlySpan<bool> present)
    {
        var size = StringSize(decision.Model) + StringSize(decision.AllowlistVersion) + StringSize(decision.Allowlist!.Sha256);
        for (var i = 0; i < present.Length; i++)
        {
            if (!present[i])
            {
                size += StringSize(decision.Allowlist.Features[i]);
            }
        }

        return size;
    }

    internal static int StringSize(string? value) =>
        string.IsNullOrEmpty(value) ? 0 : ProtoWire.LengthDelimitedSize(Encoding.UTF8.GetByteCount(value));

    internal static int WriteString(Span<byte> destination, int fieldNumber, string value)
    {
        var offset = ProtoWire.WriteLengthPrefix(destination, fieldNumber, Encoding.UTF8.GetByteCount(value));
        return offset + Encoding.UTF8.GetBytes(value, destination[offset..]);
    }
}
