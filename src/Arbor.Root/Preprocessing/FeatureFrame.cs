using Arbor.Root.Store;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// Preprocessed values of one entity kind for one request, column-major (one contiguous span of
/// rows per feature), ready to become the columns of a batch.
/// </summary>
public sealed class FeatureFrame
{
    private readonly TypedValue[] _values;
    private readonly Dictionary<string, int> _index;

    public FeatureFrame(IReadOnlyList<string> names, int rowCount, TypedValue[] values)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != names.Count * rowCount)
        {
            throw new ArgumentException("A frame holds exactly one value per feature per row.", nameof(values));
        }

        Names = names;
        RowCount = rowCount;
        _values = values;
        _index = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            _index[names[i]] = i;
        }
    }

    /// <summary>The feature of each column.</summary>
    public IReadOnlyList<string> Names { get; }

    public int RowCount { get; }

    /// <summary>Every row's value of feature <paramref name="column"/> (none where absent after preprocessing).</summary>
    public ReadOnlySpan<TypedValue> Column(int column) => _values.AsSpan(column * RowCount, RowCount);

    public TypedValue this[int row, int column] => _values[(column * RowCount) + row];

    /// <summary>The column of <paramref name="feature"/>, or -1.</summary>
    public int IndexOf(string feature) => _index.TryGetValue(feature, out var i) ? i : -1;
}
