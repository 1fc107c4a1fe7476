namespace Arbor.FeatureStore.Native;

/// <summary>
/// An immutable snapshot of the <c>feature_names</c> table: feature name ↔ the small id that packed
/// rows use. Ids are assigned once and never reused or renamed, so a snapshot is never wrong, only
/// possibly incomplete: a reader that meets an id it does not know loads a newer snapshot.
/// </summary>
internal sealed class FeatureNameDictionary
{
    private readonly string?[] _names;
    private readonly Dictionary<string, int> _ids;

    private FeatureNameDictionary(string?[] names, Dictionary<string, int> ids)
    {
        _names = names;
        _ids = ids;
    }

    public static FeatureNameDictionary Empty { get; } = new([], new Dictionary<string, int>(StringComparer.Ordinal));

    /// <summary>One more than the largest known id (the length of an id-indexed array).</summary>
    public int IdLimit => _names.Length;

    public int Count => _ids.Count;

    /// <summary>A snapshot of the given (id, name) pairs.</summary>
    public static FeatureNameDictionary Create(IReadOnlyList<(int Id, string Name)> entries)
    {
        var limit = 0;
        foreach (var (id, _) in entries)
        {
            if (id < 0)
            {
                throw new FormatException($"Feature name id {id} is negative.");
            }

            limit = Math.Max(limit, id + 1);
        }

        var names = new string?[limit];
        var ids = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        foreach (var (id, name) in entries)
        {
            names[id] = name;
            ids[name] = id;
        }

        return new FeatureNameDictionary(names, ids);
    }

    public bool TryGetId(string name, out int id) => _ids.TryGetValue(name, out id);

    /// <summary>The name of <paramref name="id"/>, or null when this snapshot does not know it.</summary>
    public string? NameOf(int id) => (uint)id < (uint)_names.Length ? _names[id] : null;
}
