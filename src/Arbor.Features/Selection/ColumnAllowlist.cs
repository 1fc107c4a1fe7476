using System.Collections.Frozen;
using Arbor.Features.Wire;

namespace Arbor.Features.Selection;

/// <summary>
/// The features one model version consumes (from its signature): the columns a trimmed leaf request
/// keeps. Immutable; shared by every request that resolves to this model version.
/// </summary>
public sealed class ColumnAllowlist
{
    private readonly FrozenDictionary<string, int> _index;
    private readonly string[] _features;

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
    /// Writes, per column of <paramref name="columns"/>, its position in <see cref="Features"/> to
    /// <paramref name="positions"/>, or -1 when the model does not consume it. The hot path reads
    /// them through <see cref="EncodedBatch.PositionsOf"/>, once per request and allowlist.
    /// </summary>
    internal void Positions(ReadOnlySpan<EncodedColumn> columns, Span<int> positions)
    {
        for (var c = 0; c < columns.Length; c++)
        {
            positions[c] = _index.TryGetValue(columns[c].Name, out var position) ? position : -1;
        }
    }
}
