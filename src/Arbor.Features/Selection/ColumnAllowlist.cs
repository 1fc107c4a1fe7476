using System.Collections.Frozen;

namespace Arbor.Features.Selection;

/// <summary>
/// The features one model version consumes (from its signature): the columns a trimmed leaf request
/// keeps. Immutable; shared by every request that resolves to this model version.
/// </summary>
public sealed class ColumnAllowlist
{
    private readonly FrozenSet<string> _set;
    private readonly string[] _features;

    /// <param name="features">The feature names; duplicates are ignored. Must not be empty.</param>
    public ColumnAllowlist(IEnumerable<string> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        _set = features.ToFrozenSet(StringComparer.Ordinal);
        if (_set.Count == 0)
        {
            throw new ArgumentException("An allowlist names at least one feature.", nameof(features));
        }

        if (_set.Contains(null!) || _set.Contains(string.Empty))
        {
            throw new ArgumentException("Feature names are not empty.", nameof(features));
        }

        _features = [.. _set];
        Array.Sort(_features, StringComparer.Ordinal);
        Sha256 = AllowlistHash.Of(_features);
    }

    /// <summary>The allowlist's identity (<see cref="AllowlistHash"/>), sent with every request trimmed to it.</summary>
    public string Sha256 { get; }

    /// <summary>The number of distinct features.</summary>
    public int Count => _features.Length;

    /// <summary>The features, sorted by ordinal name.</summary>
    public IReadOnlyList<string> Features => _features;

    /// <summary>Whether the model version consumes <paramref name="feature"/>.</summary>
    public bool Contains(string feature) => _set.Contains(feature);
}
