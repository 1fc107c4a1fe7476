using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;


namespace Arbor.Root.Preprocessing;

/// <summary>
/// The preprocessed values of one entity kind for one request, as a view: what the cache read
/// (already preprocessed), with the client's values winning where it sent one, and each feature's
/// missing value (a default_fill) where neither has one. Nothing is copied per value.
/// </summary>
public sealed class FeatureFrame
{
    private readonly FrameColumns _columns;
    private readonly FeatureTable? _table;
    private readonly IReadOnlyList<ClientColumn?>? _client;

    /// <param name="columns">The features, in the table's column order.</param>
    /// <param name="rowCount">The rows.</param>
    /// <param name="table">What the cache read (preprocessed), or null when nothing was read.</param>
    /// <param name="client">Per column the client's values, or null; null for none at all.</param>
    public FeatureFrame(IReadOnlyList<PlannedColumn> columns, int rowCount, FeatureTable? table, IReadOnlyList<ClientColumn?>? client)
        : this(new FrameColumns(columns), rowCount, table, client)
    {
    }

    /// <param name="columns">The plan's columns of the entity kind (names and index built once per plan).</param>
    /// <param name="rowCount">The rows.</param>
    /// <param name="table">What the cache read (preprocessed), or null when nothing was read.</param>
    /// <param name="client">Per column the client's values, or null; null for none at all.</param>
    internal FeatureFrame(FrameColumns columns, int rowCount, FeatureTable? table, IReadOnlyList<ClientColumn?>? client)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (table is not null && (table.ColumnCount != columns.Columns.Length || table.RowCount != rowCount))
        {
            throw new ArgumentException("The table must have the frame's columns and rows.", nameof(table));
        }

        _columns = columns;
        RowCount = rowCount;
        _table = table;
        _client = client is { Count: > 0 } ? client : null;
    }

    /// <summary>The feature of each column.</summary>
    public IReadOnlyList<string> Names => _columns.Names;

    public int RowCount { get; }

    /// <summary>The planned column (name, pipeline, type) of <paramref name="column"/>.</summary>
    public PlannedColumn Planned(int column) => _columns.Columns[column];

    /// <summary>The value of <paramref name="column"/> for <paramref name="row"/>.</summary>
    /// <remarks>
    /// The request path reads the same values through <c>FrameColumn</c> and <c>RowColumns</c>
    /// (Batching), which look the client column, slot and missing value up once per column: a change
    /// to what a value is belongs in all three (RowColumnsTests checks they agree).
    /// </remarks>
    public TypedValue this[int row, int column]
    {
        get
        {
            if (_client is not null && _client[column] is { } sent && sent.IsSent(row))
            {
                return sent[row];
            }

            return _columns.Columns[column].OrMissing(_table is null ? default : _table[row, column]);
        }
    }

    /// <summary>What the cache read (index a row's values with <see cref="FeatureTable.SlotOf"/>); null when nothing was read.</summary>
    internal FeatureTable? Table => _table;

    /// <summary>The client's values of <paramref name="column"/>, or null when it sent none.</summary>
    internal ClientColumn? ClientOf(int column) => _client?[column];

    /// <summary>Gives what the cache read back to its pool (see <see cref="FeatureTable.ReturnRows"/>): the frame reads no stored values afterwards.</summary>
    internal void ReturnTable() => _table?.ReturnRows();

    /// <summary>Every row's value of <paramref name="column"/>, copied (tests and tools; the request path reads values in place).</summary>
    public TypedValue[] Column(int column)
    {
        var values = new TypedValue[RowCount];
        for (var row = 0; row < values.Length; row++)
        {
            values[row] = this[row, column];
        }

        return values;
    }

    /// <summary>The column of <paramref name="feature"/>, or -1.</summary>
    public int IndexOf(string feature) => _columns.IndexOf(feature);
}
