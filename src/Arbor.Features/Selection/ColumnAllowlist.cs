using System.Collections.Frozen;
using Arbor.Features.Wire;

namespace Arbor.Features.Selection;

/// <summary>
/// The features one model version consumes (from its signature): the columns a trimmed leaf request
/// keeps. Immutable; shared by every request that resolves to this model version.
/// </summary>
public sealed class ColumnAllowlist
{
    // The column layouts PositionsIn was asked about most recently, newest first.
    private const int RecentLayouts = 4;

    private readonly FrozenDictionary<string, int> _index;
    private readonly string[] _features;
    private ColumnPositions[] _recent = [];

    /// <param name="features">The feature names; duplicates are ignored. Must not be empty.</param>
    public ColumnAllowlist(IEnumerable<string> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var set = features.ToHashSet(StringComparer.Ordinal);
        if (set.Count == 0)
        {
            throw new ArgumentException("An allowlist names at least one feature.", nameof(features));
        }

        if (set.Contains(null!) || set.Contains(string.Empty))
        {
            throw new ArgumentException("Feature names are not empty.", nameof(features));
        }

        _features = [.. set];
        Array.Sort(_features, StringComparer.Ordinal);
        var index = new Dictionary<string, int>(_features.Length, StringComparer.Ordinal);
        for (var i = 0; i < _features.Length; i++)
        {
            index[_features[i]] = i;
        }

        _index = index.ToFrozenDictionary(StringComparer.Ordinal);
        Sha256 = AllowlistHash.Of(_features);
    }

    /// <summary>The allowlist's identity (<see cref="AllowlistHash"/>), sent with every request trimmed to it.</summary>
    public string Sha256 { get; }

    /// <summary>The number of distinct features.</summary>
    public int Count => _features.Length;

    /// <summary>The features, sorted by ordinal name.</summary>
    public IReadOnlyList<string> Features => _features;

    /// <summary>Whether the model version consumes <paramref name="feature"/>.</summary>
    public bool Contains(string feature) => _index.ContainsKey(feature);

    /// <summary>
    /// Per column of <paramref name="batch"/> (in <see cref="EncodedBatch.Columns"/> order), its
    /// position in <see cref="Features"/>, or -1 when the model does not consume it.
    /// </summary>
    /// <remarks>
    /// A request's batch has the same columns, by the same name strings, as the requests before it
    /// for the same models, while each leaf request is measured and written several times: the
    /// positions of the last few column layouts are kept, and a batch whose names equal one of them
    /// (a reference comparison when they are the same strings) takes its positions without hashing a
    /// name. Safe from several threads: the kept layouts are an immutable array swapped whole.
    /// </remarks>
    internal ReadOnlySpan<int> PositionsIn(EncodedBatch batch)
    {
        var columns = batch.Columns;
        var recent = Volatile.Read(ref _recent);
        foreach (var layout in recent)
        {
            if (layout.Matches(columns))
            {
                return layout.Positions;
            }
        }

        var names = new string[columns.Length];
        var positions = new int[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            names[c] = columns[c].Name;
            positions[c] = _index.TryGetValue(names[c], out var position) ? position : -1;
        }

        var kept = new ColumnPositions[Math.Min(recent.Length + 1, RecentLayouts)];
        kept[0] = new ColumnPositions(names, positions);
        recent.AsSpan(0, kept.Length - 1).CopyTo(kept.AsSpan(1));
        Volatile.Write(ref _recent, kept);
        return positions;
    }

    /// <summary>One column layout (the columns' names in order) and its positions in the allowlist.</summary>
    private sealed class ColumnPositions(string[] names, int[] positions)
    {
        public int[] Positions { get; } = positions;

        public bool Matches(ReadOnlySpan<EncodedColumn> columns)
        {
            if (columns.Length != names.Length)
            {
                return false;
            }

            for (var c = 0; c < names.Length; c++)
            {
                if (!string.Equals(names[c], columns[c].Name, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
