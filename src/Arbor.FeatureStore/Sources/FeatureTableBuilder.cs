using Arbor.Features.Values;

namespace Arbor.FeatureStore.Sources;

/// <summary>
/// Collects the rows of a store query into a <see cref="FeatureTable"/>. For an explicit projection
/// values land directly in per-row arrays in column order; for <see cref="FeatureProjection.All"/>
/// the columns are the names met, in order of first appearance.
/// </summary>
internal sealed class FeatureTableBuilder
{
    private readonly IReadOnlyList<string> _ids;
    private readonly FeatureProjection _projection;
    private readonly TypedValue[]?[] _rows;
    private readonly Dictionary<string, int>? _discovered;
    private readonly List<(int Row, int Column, TypedValue Value)>? _pending;

    public FeatureTableBuilder(IReadOnlyList<string> ids, FeatureProjection projection)
    {
        _ids = ids;
        _projection = projection;
        _rows = new TypedValue[]?[ids.Count];
        if (projection.IsAll)
        {
            _discovered = new Dictionary<string, int>(StringComparer.Ordinal);
            _pending = [];
        }
    }

    /// <summary>Sets a value of an explicit projection by row and column index.</summary>
    public void Set(int row, int column, TypedValue value)
    {
        var values = _rows[row] ??= new TypedValue[_projection.Count];
        values[column] = value;
    }

    /// <summary>Sets a value of an <see cref="FeatureProjection.All"/> read by feature name.</summary>
    public void Set(int row, string feature, TypedValue value)
    {
        if (!_discovered!.TryGetValue(feature, out var column))
        {
            column = _discovered.Count;
            _discovered.Add(feature, column);
        }

        _pending!.Add((row, column, value));
    }

    public FeatureTable Build()
    {
        if (!_projection.IsAll)
        {
            return new FeatureTable(_ids, _projection.Names, _rows, FeatureTable.IdentitySlots(_projection.Count));
        }

        var columns = new string[_discovered!.Count];
        foreach (var (name, index) in _discovered)
        {
            columns[index] = name;
        }

        foreach (var (row, column, value) in _pending!)
        {
            var values = _rows[row] ??= new TypedValue[columns.Length];
            values[column] = value;
        }

        return new FeatureTable(_ids, columns, _rows, FeatureTable.IdentitySlots(columns.Length));
    }
}
