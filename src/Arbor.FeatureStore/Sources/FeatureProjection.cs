namespace Arbor.FeatureStore.Sources;

/// <summary>
/// Which features a read fetches: an ordered set of names, or <see cref="All"/> (every feature the
/// entity has). The root builds one per request from the union of the allowlists of the models it
/// fans out to ("fetch what you use").
/// </summary>
public sealed class FeatureProjection
{
    private readonly string[] _names;
    private readonly Dictionary<string, int>? _index;
    private object? _resolution;

    private FeatureProjection(string[] names, bool isAll)
    {
        _names = names;
        IsAll = isAll;
        if (!isAll)
        {
            _index = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
            for (var i = 0; i < names.Length; i++)
            {
                _index[names[i]] = i;
            }
        }
    }

    /// <summary>Every feature the entity has (only stores can answer it; see <see cref="IFeatureSource"/>).</summary>
    public static FeatureProjection All { get; } = new([], isAll: true);

    public bool IsAll { get; }

    /// <summary>The requested names in order, without duplicates (empty for <see cref="All"/>).</summary>
    public IReadOnlyList<string> Names => _names;

    public int Count => _names.Length;

    /// <summary>A projection of <paramref name="names"/>, duplicates dropped, first occurrence kept.</summary>
    public static FeatureProjection Of(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ordered = new List<string>();
        foreach (var name in names)
        {
            ArgumentException.ThrowIfNullOrEmpty(name, nameof(names));
            if (seen.Add(name))
            {
                ordered.Add(name);
            }
        }

        return new FeatureProjection([.. ordered], isAll: false);
    }

    public static FeatureProjection Of(params string[] names) => Of((IEnumerable<string>)names);

    /// <summary>The cache's slot mapping of this projection, set by the cache on first use (a benign race: any writer's answer is right).</summary>
    internal object? Resolution
    {
        get => Volatile.Read(ref _resolution);
        set => Volatile.Write(ref _resolution, value);
    }

    /// <summary>The position of <paramref name="name"/>, or -1.</summary>
    public int IndexOf(string name) => _index is not null && _index.TryGetValue(name, out var i) ? i : -1;

    public override string ToString() => IsAll ? "*" : string.Join(",", _names);
}
