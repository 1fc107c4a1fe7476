using Arbor.Features.Values;
using Arbor.Features.Wire;

namespace Arbor.Features.Batches;

/// <summary>
/// The values of one feature for every row of a <see cref="FeatureBatch"/> (column-oriented), with a
/// bitmap of the rows that have no value (those rows hold a placeholder in memory: 0, a zero vector, an
/// empty list; on the wire a missing row costs its bit only, see <see cref="Wire.FeatureBatchEncoder"/>).
/// </summary>
/// <remarks>
/// A column does not copy the arrays it is given: the batch's builder owns them and must not change
/// them once the batch is encoded. A column made by a <see cref="FeatureBatch"/> (its <c>Create…</c>
/// methods) lies on the batch's pooled buffers, and the batch reuses the object for a later request
/// once disposed: such a column is valid until its batch is disposed.
/// </remarks>
public abstract class BatchColumn
{
    private ArraySegment<byte> _missing;

    private protected BatchColumn(string name, FeatureType kind, int rowCount, ArraySegment<byte> missing)
    {
        Kind = kind;
        Initialize(name, rowCount, missing);
    }

    /// <summary>The feature's name (what allowlists and signatures list).</summary>
    public string Name { get; private set; }

    /// <summary>The type of the values.</summary>
    public FeatureType Kind { get; }

    /// <summary>The number of rows.</summary>
    public int RowCount { get; private set; }

    /// <summary>Whether any row is marked missing.</summary>
    public bool HasMissing => _missing.Array is not null;

    /// <summary>The missing bitmap (empty when every row has a value).</summary>
    public ReadOnlySpan<byte> Missing => _missing.AsSpan();

    /// <summary>The batch whose buffers this column lies on and which reuses the object once disposed; null for a column built alone.</summary>
    internal object? Owner { get; set; }

    /// <summary>Whether <paramref name="row"/> has no value.</summary>
    public bool IsMissing(int row) => MissingBitmap.IsSet(_missing.AsSpan(), row);

    /// <summary>A bitmap given as an array (none when null).</summary>
    private protected static ArraySegment<byte> Bitmap(byte[]? missing) => missing is null ? default : new ArraySegment<byte>(missing);

    /// <summary>Sets what every column has (also when a batch reuses the object for another column): checks it, keeps the bitmap only when a row is marked.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(Name))]
    private protected void Initialize(string name, int rowCount, ArraySegment<byte> missing)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (missing.Array is not null && missing.Count != MissingBitmap.ByteCount(rowCount))
        {
            throw new ArgumentException(
                $"Column '{name}': the missing bitmap has {missing.Count} bytes, {MissingBitmap.ByteCount(rowCount)} expected for {rowCount} rows.",
                nameof(missing));
        }

        Name = name;
        RowCount = rowCount;
        _missing = missing.Array is not null && missing.AsSpan().ContainsAnyExcept((byte)0) ? missing : default;
    }

    /// <summary>
    /// The raw size of the rows' values, with no encoding overhead: 4 bytes a float, 8 an int64 or an
    /// id, 4·dim a vector, a string's UTF-8 bytes, a byte string's length.
    /// </summary>
    internal abstract long ValueBytes(in RowSet rows);

    /// <summary>Computes the size of the values sub-message (<c>FeatureColumn.values</c>) for the rows.</summary>
    internal abstract void MeasureValues(in RowSet rows, ref ColumnLayout layout);

    /// <summary>Writes the values sub-message body (without its tag and length) for the rows.</summary>
    internal abstract void WriteValues(in RowSet rows, in ColumnLayout layout, Span<byte> destination);

    /// <summary>The field number of this kind's case in <c>FeatureColumn.values</c>.</summary>
    internal int ValuesFieldNumber => Kind switch
    {
        FeatureType.Float => 3,
        FeatureType.Int64 => 4,
        FeatureType.FloatVector => 5,
        FeatureType.Int64List => 6,
        FeatureType.String => 7,
        _ => 8,
    };
}
