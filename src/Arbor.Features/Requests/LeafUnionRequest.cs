using System.Buffers;
using Arbor.Features.Wire;

namespace Arbor.Features.Requests;

/// <summary>
/// A <c>LeafUnionScoreRequest</c> laid out from pre-encoded columns: the union of the columns its
/// models' trims keep, each once, and per model its name, version, <c>trimmed_for</c> and the
/// indexes of the columns it uses. The column fields are numbered as in <c>LeafScoreRequest</c>, so
/// the bytes <see cref="FeatureBatchEncoder"/> wrote once are copied as they are.
/// </summary>
/// <remarks>
/// Each model's <see cref="ModelResults"/> entry says what its own <c>LeafScoreRequest</c> would have
/// carried and removed, except for the bytes: <see cref="LeafRequestWriteResult.MessageBytes"/> and
/// <see cref="LeafRequestWriteResult.ValueBytes"/> are its share of this message (its own entry, and
/// of the shared part in proportion to the column bytes it uses), so the shares add up to
/// <see cref="MessageBytes"/> and to the value bytes carried.
/// </remarks>
public sealed class LeafUnionRequest
{
    // LeafUnionScoreRequest: row_count = 3, request_id = 6, unbatched = 8, models = 9.
    // LeafUnionModel: model = 1, version = 2, trimmed_for = 3, columns = 4, shared_columns = 5.
    private const int ModelsField = 9;
    private const int TrimmedForField = 3;

    private readonly EncodedBatch _batch;
    private readonly LeafUnionEntry[] _models;
    private readonly string? _requestId;
    private readonly bool _unbatched;

    // Per batch column: its index in the union's columns or shared_columns, -1 when no model uses it.
    private readonly int[] _unionIndex;

    // Per model, per batch column (models × columns): whether the model uses it.
    private readonly bool[] _uses;
    private readonly int[] _entryBodySizes;
    private readonly int[] _columnIndexBytes;
    private readonly int[] _sharedIndexBytes;
    private readonly LeafRequestWriteResult[] _results;

    /// <param name="batch">The request's encoded columns; read again by <see cref="Write"/>.</param>
    /// <param name="models">The models, in the order of the leaf's results; each at most once.</param>
    /// <param name="requestId">Carried to the leaf for tracing; null or empty for none.</param>
    /// <param name="unbatched">Ask the leaf to run every model in a forward of its own.</param>
    public LeafUnionRequest(EncodedBatch batch, IReadOnlyList<LeafUnionEntry> models, string? requestId = null, bool unbatched = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentOutOfRangeException.ThrowIfZero(models.Count, nameof(models));
        _batch = batch;
        _models = [.. models];
        _requestId = requestId;
        _unbatched = unbatched;

        var columns = batch.Columns;
        _unionIndex = new int[columns.Length];
        _uses = new bool[_models.Length * columns.Length];
        _entryBodySizes = new int[_models.Length];
        _columnIndexBytes = new int[_models.Length];
        _sharedIndexBytes = new int[_models.Length];
        _results = new LeafRequestWriteResult[_models.Length];

        var perRow = 0;
        var shared = 0;
        long columnBytes = 0;
        long valueBytes = 0;
        for (var m = 0; m < _models.Length; m++)
        {
            var allowlist = _models[m].Decision.Allowlist;
            var positions = allowlist is null ? default : batch.PositionsOf(allowlist);
            for (var c = 0; c < columns.Length; c++)
            {
                _uses[(m * columns.Length) + c] = allowlist is null || positions[c] >= 0;
            }
        }

        for (var c = 0; c < columns.Length; c++)
        {
            var used = false;
            for (var m = 0; m < _models.Length && !used; m++)
            {
                used = _uses[(m * columns.Length) + c];
            }

            _unionIndex[c] = !used ? -1 : columns[c].IsShared ? shared++ : perRow++;
            if (used)
            {
                UnionColumns++;
                columnBytes += columns[c].Length;
                valueBytes += columns[c].ValueBytes;
            }
        }

        var size = checked((int)columnBytes) + FixedFieldsSize(batch.RowCount, requestId, unbatched);
        var entries = 0;
        Span<long> ownBytes = _models.Length <= 64 ? stackalloc long[_models.Length] : new long[_models.Length];
        for (var m = 0; m < _models.Length; m++)
        {
            var model = _models[m];
            ArgumentException.ThrowIfNullOrEmpty(model.Model);
            int written = 0, removed = 0, indexBytes = 0, sharedIndexBytes = 0;
            long removedBytes = 0;
            for (var c = 0; c < columns.Length; c++)
            {
                if (!_uses[(m * columns.Length) + c])
                {
                    removed++;
                    removedBytes += columns[c].Length;
                    continue;
                }

                written++;
                ownBytes[m] += columns[c].Length;
                var varint = ProtoWire.VarintSize((uint)_unionIndex[c]);
                if (columns[c].IsShared)
                {
                    sharedIndexBytes += varint;
                }
                else
                {
                    indexBytes += varint;
                }
            }

            _columnIndexBytes[m] = indexBytes;
            _sharedIndexBytes[m] = sharedIndexBytes;
            var body = LeafRequestWriter.StringSize(model.Model) + LeafRequestWriter.StringSize(model.Version)
                + LeafRequestWriter.TrimmedForSize(model.Decision, batch)
                + (indexBytes == 0 ? 0 : ProtoWire.LengthDelimitedSize(indexBytes))
                + (sharedIndexBytes == 0 ? 0 : ProtoWire.LengthDelimitedSize(sharedIndexBytes));
            _entryBodySizes[m] = body;
            var entry = ProtoWire.LengthDelimitedSize(body);
            entries += entry;
            var absent = model.Decision.Allowlist is { } list ? list.Count - written : 0;
            _results[m] = new LeafRequestWriteResult(entry, written, removed, removedBytes, absent);
        }

        MessageBytes = checked(size + entries);
        ValueBytes = valueBytes;
        Share(MessageBytes - entries, valueBytes, ownBytes);
    }

    /// <summary>The exact serialized size.</summary>
    public int MessageBytes { get; }

    /// <summary>Raw bytes of the values the union's columns carry, each column once.</summary>
    public long ValueBytes { get; }

    /// <summary>Columns (per-row and shared) the message carries: those at least one model uses.</summary>
    public int UnionColumns { get; }

    /// <summary>The models, in request order.</summary>
    public IReadOnlyList<LeafUnionEntry> Models => _models;

    /// <summary>Per model, in request order: what its trim kept and removed, and its share of the bytes (see remarks).</summary>
    public ReadOnlySpan<LeafRequestWriteResult> ModelResults => _results;

    /// <summary>Writes exactly <see cref="MessageBytes"/> bytes.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var columns = _batch.Columns;
        if (_batch.RowCount != 0)
        {
            var span = output.GetSpan(6);
            span[0] = ProtoWire.Tag(3, ProtoWire.WireTypeVarint);
            output.Advance(1 + ProtoWire.WriteVarint(span[1..], (uint)_batch.RowCount));
        }

        for (var c = 0; c < columns.Length; c++)
        {
            if (_unionIndex[c] >= 0)
            {
                output.Write(_batch.GetBytes(columns[c]));
            }
        }

        if (!string.IsNullOrEmpty(_requestId))
        {
            var size = LeafRequestWriter.StringSize(_requestId);
            output.Advance(LeafRequestWriter.WriteString(output.GetSpan(size), 6, _requestId));
        }

        if (_unbatched)
        {
            var span = output.GetSpan(2);
            span[0] = ProtoWire.Tag(8, ProtoWire.WireTypeVarint);
            span[1] = 1;
            output.Advance(2);
        }

        for (var m = 0; m < _models.Length; m++)
        {
            WriteEntry(output, m, columns);
        }
    }

    private void WriteEntry(IBufferWriter<byte> output, int m, ReadOnlySpan<EncodedColumn> columns)
    {
        var model = _models[m];
        var span = output.GetSpan(ProtoWire.LengthDelimitedSize(_entryBodySizes[m]));
        var offset = ProtoWire.WriteLengthPrefix(span, ModelsField, _entryBodySizes[m]);
        offset += LeafRequestWriter.WriteString(span[offset..], 1, model.Model);
        if (!string.IsNullOrEmpty(model.Version))
        {
            offset += LeafRequestWriter.WriteString(span[offset..], 2, model.Version);
        }

        offset += LeafRequestWriter.WriteTrimmedFor(span[offset..], TrimmedForField, model.Decision, _batch);
        offset += WriteIndexes(span[offset..], 4, _columnIndexBytes[m], m, columns, shared: false);
        offset += WriteIndexes(span[offset..], 5, _sharedIndexBytes[m], m, columns, shared: true);
        output.Advance(offset);
    }

    // A packed repeated uint32 field of the union indexes of the model's per-row or shared columns.
    private int WriteIndexes(Span<byte> span, int fieldNumber, int length, int m, ReadOnlySpan<EncodedColumn> columns, bool shared)
    {
        if (length == 0)
        {
            return 0;
        }

        var offset = ProtoWire.WriteLengthPrefix(span, fieldNumber, length);
        for (var c = 0; c < columns.Length; c++)
        {
            if (columns[c].IsShared == shared && _uses[(m * columns.Length) + c])
            {
                offset += ProtoWire.WriteVarint(span[offset..], (uint)_unionIndex[c]);
            }
        }

        return offset;
    }

    /// <summary>Gives each model its share of the bytes every model uses: in proportion to its own column bytes, evenly when none has any.</summary>
    private void Share(long common, long values, ReadOnlySpan<long> ownBytes)
    {
        long total = 0;
        foreach (var own in ownBytes)
        {
            total += own;
        }

        long givenBytes = 0, givenValues = 0;
        for (var m = 0; m < _results.Length; m++)
        {
            long bytes, value;
            if (m == _results.Length - 1)
            {
                bytes = common - givenBytes;
                value = values - givenValues;
            }
            else
            {
                bytes = total == 0 ? common / _results.Length : (long)((double)common * ownBytes[m] / total);
                value = total == 0 ? values / _results.Length : (long)((double)values * ownBytes[m] / total);
            }

            givenBytes += bytes;
            givenValues += value;
            _results[m] = _results[m] with { MessageBytes = checked(_results[m].MessageBytes + (int)bytes), ValueBytes = value };
        }
    }

    private static int FixedFieldsSize(int rowCount, string? requestId, bool unbatched) =>
        (rowCount == 0 ? 0 : 1 + ProtoWire.VarintSize((uint)rowCount))
        + LeafRequestWriter.StringSize(requestId)
        + (unbatched ? 2 : 0);
}
