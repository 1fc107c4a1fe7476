using System.Buffers;
using Arbor.Features.Values;

namespace Arbor.FeatureStore.Sources;

/// <summary>
/// The answer to one batch read: a value (or none) for each requested id (row, in request order,
/// duplicates included) and each feature (column).
/// </summary>
/// <remarks>
/// Rows reference value arrays owned by whoever produced them (a store read, or cache entries shared
/// by every request), through <c>slots</c> that map a column to its position in a row array. A cache
/// hit therefore costs one reference per candidate, not a copy of its features. Never mutate.
/// </remarks>
public sealed class FeatureTable
{
    private readonly int[] _slots;
    private readonly bool _pooledRows;
    private readonly int _rowCount;
    private TypedValue[]?[] _rows;
    private float[]?[]? _floatRows;

    /// <param name="ids">The row ids.</param>
    /// <param name="features">The column names.</param>
    /// <param name="rows">Per row its value array, or null when the row has no values at all.</param>
    /// <param name="slots">Per column the index of its value in a row array.</param>
    public FeatureTable(IReadOnlyList<string> ids, IReadOnlyList<string> features, TypedValue[]?[] rows, int[] slots)
        : this(ids, features, rows, slots, pooledRows: false)
    {
    }

    /// <param name="ids">The row ids.</param>
    /// <param name="features">The column names.</param>
    /// <param name="rows">Per row its value array (at least one per id, the rest ignored).</param>
    /// <param name="slots">Per column the index of its value in a row array.</param>
    /// <param name="pooledRows">Whether <paramref name="rows"/> (and <paramref name="floatRows"/>) were rented from the shared array pool: <see cref="ReturnRows"/> gives them back.</param>
    /// <param name="floatRows">Per row, the <see cref="FloatRow"/> of its value array (null where it has none), or null for none at all.</param>
    internal FeatureTable(IReadOnlyList<string> ids, IReadOnlyList<string> features, TypedValue[]?[] rows, int[] slots, bool pooledRows, float[]?[]? floatRows = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(slots);
        if ((pooledRows ? rows.Length < ids.Count : rows.Length != ids.Count) || slots.Length != features.Count || floatRows?.Length < ids.Count)
        {
            throw new ArgumentException("A feature table needs one row per id and one slot per feature.");
        }

        Ids = ids;
        Features = features;
        _rows = rows;
        _floatRows = floatRows;
        _slots = slots;
        _pooledRows = pooledRows;
        _rowCount = ids.Count;
    }

    public IReadOnlyList<string> Ids { get; }

    public IReadOnlyList<string> Features { get; }

    public int RowCount => _rowCount;

    public int ColumnCount => _slots.Length;

    /// <summary>The value array of row <paramref name="row"/> (index it with <see cref="SlotOf"/>), or null when the row has no values.</summary>
    public TypedValue[]? RowValues(int row) => _rows[row];

    /// <summary>
    /// The <see cref="FloatRow"/> of row <paramref name="row"/>'s value array: the same floats, packed.
    /// Null when the table has none for the row; the value array then has them all.
    /// </summary>
    public float[]? FloatRowValues(int row) => _floatRows?[row];

    /// <summary>The index in a row's value array of column <paramref name="column"/>'s value (none when past its end).</summary>
    public int SlotOf(int column) => _slots[column];

    /// <summary>The value of feature <paramref name="column"/> for row <paramref name="row"/>; none when absent.</summary>
    public TypedValue this[int row, int column]
    {
        get
        {
            // A pooled row array is longer than the table: rows past the last id are not the table's.
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)_rowCount, nameof(row));
            var values = _rows[row];
            var slot = _slots[column];
            return values is not null && (uint)slot < (uint)values.Length ? values[slot] : default;
        }
    }

    /// <summary>
    /// Gives a pooled row array back (a no-op for a table built on an array of its own); the table
    /// reads no values afterwards. Call it once every value has been read, from one thread.
    /// </summary>
    internal void ReturnRows()
    {
        if (_pooledRows && _rows.Length > 0)
        {
            var rows = _rows;
            _rows = [];
            ArrayPool<TypedValue[]?>.Shared.Return(rows, clearArray: true);
            if (_floatRows is { } floatRows)
            {
                _floatRows = null;
                ArrayPool<float[]?>.Shared.Return(floatRows, clearArray: true);
            }
        }
    }

    /// <summary>Looks a value up by feature name (slow path: tests, tools).</summary>
    public TypedValue Get(int row, string feature)
    {
        for (var c = 0; c < Features.Count; c++)
        {
            if (string.Equals(Features[c], feature, StringComparison.Ordinal))
            {
                return this[row, c];
            }
        }

        return default;
    }

    /// <summary>The identity column-to-slot map for row arrays laid out in column order.</summary>
    public static int[] IdentitySlots(int count)
    {
        var slots = new int[count];
        for (var i = 0; i < count; i++)
        {
            slots[i] = i;
        }

        return slots;
    }
}
