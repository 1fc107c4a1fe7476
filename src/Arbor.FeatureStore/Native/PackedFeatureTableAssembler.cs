using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// Projects the packed rows of one batch read into a <see cref="FeatureTable"/>: each row is
/// walked once and only requested features are decoded. A row naming a feature id that the
/// reader's name snapshot does not know (a feature added since it was loaded) is kept aside until
/// <see cref="Resolve"/> supplies a newer snapshot.
/// </summary>
internal sealed class PackedFeatureTableAssembler
{
    private const int NotRequested = -1;
    private const int UnknownId = -2;

    private readonly EntityKind _entity;
    private readonly IReadOnlyList<string> _ids;
    private readonly FeatureProjection _projection;
    private readonly FeatureTableBuilder _builder;
    private FeatureNameDictionary _names;
    private int[] _columns;
    private List<(int Row, byte[] Packed)>? _unresolved;

    public PackedFeatureTableAssembler(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection projection, FeatureNameDictionary names)
    {
        _entity = entity;
        _ids = ids;
        _projection = projection;
        _builder = new FeatureTableBuilder(ids, projection);
        _names = names;
        _columns = ColumnsById(names, projection);
    }

    /// <summary>True when some rows wait for a newer name snapshot.</summary>
    public bool NeedsNewerNames => _unresolved is not null;

    /// <summary>Adds the packed row read for request row <paramref name="row"/>.</summary>
    public void Add(int row, ReadOnlySpan<byte> packed)
    {
        if (!TryAdd(row, packed))
        {
            (_unresolved ??= []).Add((row, packed.ToArray()));
        }
    }

    /// <summary>Finishes the rows kept aside with <paramref name="newer"/>, loaded after they were read.</summary>
    public void Resolve(FeatureNameDictionary newer)
    {
        if (_unresolved is null)
        {
            return;
        }

        _names = newer;
        _columns = ColumnsById(newer, _projection);
        foreach (var (row, packed) in _unresolved)
        {
            if (!TryAdd(row, packed))
            {
                // The name is committed with the row that uses it, so a snapshot loaded after the
                // row was read must know it.
                throw new FormatException(
                    $"The stored features of {_entity.ToName()} '{_ids[row]}' name a feature id missing from {FeatureStoreSchema.NamesTable}.");
            }
        }

        _unresolved = null;
    }

    public FeatureTable Build() => _builder.Build();

    private static int[] ColumnsById(FeatureNameDictionary names, FeatureProjection projection)
    {
        if (projection.IsAll)
        {
            return [];
        }

        var columns = new int[names.IdLimit];
        for (var id = 0; id < columns.Length; id++)
        {
            columns[id] = names.NameOf(id) is null ? UnknownId : NotRequested;
        }

        for (var c = 0; c < projection.Count; c++)
        {
            if (names.TryGetId(projection.Names[c], out var id))
            {
                columns[id] = c;
            }
        }

        return columns;
    }

    private bool TryAdd(int row, ReadOnlySpan<byte> packed)
    {
        var complete = true;
        try
        {
            var reader = new PackedFeatureReader(packed);
            while (reader.MoveNext())
            {
                var id = reader.NameId;
                if (_projection.IsAll)
                {
                    if (_names.NameOf(id) is { } name)
                    {
                        _builder.Set(row, name, TypedValueCodec.Decode(reader.TypeCode, reader.Payload));
                    }
                    else
                    {
                        complete = false;
                    }

                    continue;
                }

                var column = (uint)id < (uint)_columns.Length ? _columns[id] : UnknownId;
                if (column >= 0)
                {
                    _builder.Set(row, column, TypedValueCodec.Decode(reader.TypeCode, reader.Payload));
                }
                else if (column == UnknownId)
                {
                    complete = false;
                }
            }
        }
        catch (FormatException ex)
        {
            throw new FormatException($"The stored features of {_entity.ToName()} '{_ids[row]}' are malformed: {ex.Message}", ex);
        }

        return complete;
    }
}
