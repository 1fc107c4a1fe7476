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
    /// <summary>The size <see cref="Write(IBufferWriter{byte}, in LeafRequestHeader, EncodedBatch, in TrimDecision)"/> would write (for a length prefix).</summary>
    public static int Measure(in LeafRequestHeader header, EncodedBatch batch, ColumnAllowlist? allowlist)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var size = HeaderSize(header, batch.RowCount);
        foreach (ref readonly var column in batch.Columns)
        {
            if (allowlist is null || allowlist.Contains(column.Name))
            {
                size += column.Length;
            }
        }

        return size;
    }

    /// <summary>
    /// The size <see cref="Write(IBufferWriter{byte}, in LeafRequestHeader, EncodedBatch, in TrimDecision)"/>
    /// would write: the columns and, when trimmed, the <c>trimmed_for</c> field.
    /// </summary>
    public static int Measure(in LeafRequestHeader header, EncodedBatch batch, in TrimDecision decision) =>
        Measure(header, batch, decision.Allowlist) + TrimmedForSize(decision);

    /// <summary>
    /// Writes the request trimmed as <paramref name="decision"/> says (untrimmed on pass-through). A
    /// trimmed request ends with <c>trimmed_for</c> (model, allowlist version, allowlist hash), so the
    /// leaf can refuse it when the version it serves needs a feature the trim removed.
    /// </summary>
    public static LeafRequestWriteResult Write(IBufferWriter<byte> output, in LeafRequestHeader header, EncodedBatch batch, in TrimDecision decision)
    {
        var result = Write(output, header, batch, decision.Allowlist);
        if (decision.Allowlist is null)
        {
            return result;
        }

        var body = TrimmedForBodySize(decision);
        var size = ProtoWire.LengthDelimitedSize(body);
        var span = output.GetSpan(size);
        var offset = ProtoWire.WriteLengthPrefix(span, 7, body);
        offset += WriteString(span[offset..], 1, decision.Model);
        if (!string.IsNullOrEmpty(decision.AllowlistVersion))
        {
            offset += WriteString(span[offset..], 2, decision.AllowlistVersion);
        }

        offset += WriteString(span[offset..], 3, decision.Allowlist!.Sha256);
        output.Advance(offset);
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
        long bytesWritten = headerSize, bytesRemoved = 0;
        foreach (ref readonly var column in batch.Columns)
        {
            if (allowlist is not null && !allowlist.Contains(column.Name))
            {
                removed++;
                bytesRemoved += column.Length;
                continue;
            }

            output.Write(batch.GetBytes(column));
            written++;
            bytesWritten += column.Length;
        }

        if (offset > requestIdStart)
        {
            var tail = output.GetSpan(offset - requestIdStart);
            WriteString(tail, 6, header.RequestId!);
            output.Advance(offset - requestIdStart);
        }

        var absent = allowlist is null ? 0 : allowlist.Count - written;
        return new LeafRequestWriteResult(checked((int)bytesWritten), written, removed, bytesRemoved, absent);
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
    private static int TrimmedForSize(in TrimDecision decision) =>
        decision.Allowlist is null ? 0 : ProtoWire.LengthDelimitedSize(TrimmedForBodySize(decision));

    private static int TrimmedForBodySize(in TrimDecision decision) =>
        StringSize(decision.Model) + StringSize(decision.AllowlistVersion) + StringSize(decision.Allowlist!.Sha256);

    private static int StringSize(string? value) =>
        string.IsNullOrEmpty(value) ? 0 : ProtoWire.LengthDelimitedSize(Encoding.UTF8.GetByteCount(value));

    private static int WriteString(Span<byte> destination, int fieldNumber, string value)
    {
        var offset = ProtoWire.WriteLengthPrefix(destination, fieldNumber, Encoding.UTF8.GetByteCount(value));
        return offset + Encoding.UTF8.GetBytes(value, destination[offset..]);
    }
}
