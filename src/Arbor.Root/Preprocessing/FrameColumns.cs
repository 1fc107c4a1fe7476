using System.Collections.Frozen;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// The columns of one entity kind of a <see cref="FetchPlan"/>, with their names and an index by
/// name: built once per plan, shared by the <see cref="FeatureFrame"/> of every request on it.
/// Immutable.
/// </summary>
internal sealed class FrameColumns
{
    private readonly FrozenDictionary<string, int> _index;

    public FrameColumns(IReadOnlyList<PlannedColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Columns = [.. columns];
        var names = new string[Columns.Length];
        var index = new Dictionary<string, int>(Columns.Length, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = Columns[i].Name;
            index[names[i]] = i;
        }

        Names = names;
        _index = index.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The planned columns, in the table's column order.</summary>
    public PlannedColumn[] Columns { get; }

    /// <summary>The feature of each column.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The column of <paramref name="feature"/>, or -1.</summary>
    public int IndexOf(string feature) => _index.TryGetValue(feature, out var at) ? at : -1;
}
