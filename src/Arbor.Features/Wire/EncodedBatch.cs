using System.Buffers;
using Arbor.Features.Selection;

namespace Arbor.Features.Wire;

/// <summary>
/// The columns of a <see cref="Batches.FeatureBatch"/> serialized once, each as a complete
/// <c>LeafScoreRequest</c> field (<c>columns</c> = 4 or <c>shared_columns</c> = 5: tag, length,
/// FeatureColumn message), ready to be copied into any number of leaf requests.
/// </summary>
/// <remarks>
/// Holds pooled buffers: dispose it once every leaf request built from it is written. Reading it from
/// several threads at once is safe; disposing it while it is read is not.
/// </remarks>
public sealed class EncodedBatch : IDisposable
{
    private byte[]? _buffer;
    private EncodedColumn[]? _columns;

    // Per allowlist asked about (PositionsOf), its positions of the columns (rented), newest last;
    // an immutable array swapped whole under the lock, so that readers need none.
    private (ColumnAllowlist Allowlist, int[] Positions)[] _positions = [];
    private readonly Lock _positionsLock = new();

    internal EncodedBatch(int rowCount, byte[] buffer, int length, EncodedColumn[] columns, int columnCount)
    {
        RowCount = rowCount;
        _buffer = buffer;
        _columns = columns;
        PayloadBytes = length;
        ColumnCount = columnCount;
    }

    /// <summary>The number of rows each per-row column holds (the request's <c>row_count</c>).</summary>
    public int RowCount { get; }

    /// <summary>The number of encoded columns, per-row and shared.</summary>
    public int ColumnCount { get; }

    /// <summary>The bytes of every encoded column together.</summary>
    public int PayloadBytes { get; }

    /// <summary>The encoded columns: per-row ones first, then shared ones, each in batch order.</summary>
    public ReadOnlySpan<EncodedColumn> Columns => (_columns ?? throw Disposed()).AsSpan(0, ColumnCount);

    /// <summary>The whole field bytes of one column (see <see cref="Columns"/>).</summary>
    public ReadOnlySpan<byte> GetBytes(in EncodedColumn column) =>
        (_buffer ?? throw Disposed()).AsSpan(column.Offset, column.Length);

    /// <summary>
    /// Per column (in <see cref="Columns"/> order), its position in <paramref name="allowlist"/>'s
    /// features, or -1 when the allowlist does not name it.
    /// </summary>
    /// <remarks>
    /// Each leaf request is measured and written several times (its size, then its columns and its
    /// <c>trimmed_for</c> field), and the models of a request that share a version share its
    /// allowlist: the positions are found once per allowlist and batch, not once per column, pass and
    /// call.
    /// </remarks>
    internal ReadOnlySpan<int> PositionsOf(ColumnAllowlist allowlist)
    {
        foreach (var (known, positions) in Volatile.Read(ref _positions))
        {
            if (ReferenceEquals(known, allowlist))
            {
                return positions.AsSpan(0, ColumnCount);
            }
        }

        lock (_positionsLock)
        {
            var found = _positions;
            foreach (var (known, positions) in found)
            {
                if (ReferenceEquals(known, allowlist))
                {
                    return positions.AsSpan(0, ColumnCount);
                }
            }

            var added = ArrayPool<int>.Shared.Rent(ColumnCount);
            allowlist.Positions(Columns, added);
            Volatile.Write(ref _positions, [.. found, (allowlist, added)]);
            return added.AsSpan(0, ColumnCount);
        }
    }

    /// <summary>Finds a column by feature name (linear; for tests and diagnostics, not the hot path).</summary>
    public bool TryFind(string name, out EncodedColumn column)
    {
        foreach (var candidate in Columns)
        {
            if (string.Equals(candidate.Name, name, StringComparison.Ordinal))
            {
                column = candidate;
                return true;
            }
        }

        column = default;
        return false;
    }

    /// <summary>Returns the pooled buffers.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (Interlocked.Exchange(ref _columns, null) is { } columns)
        {
            ArrayPool<EncodedColumn>.Shared.Return(columns, clearArray: true);
        }

        lock (_positionsLock)
        {
            foreach (var (_, positions) in _positions)
            {
                ArrayPool<int>.Shared.Return(positions);
            }

            _positions = [];
        }
    }

    private static ObjectDisposedException Disposed() => new(nameof(EncodedBatch));
}
