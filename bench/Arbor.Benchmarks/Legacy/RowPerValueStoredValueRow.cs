using Arbor.Root.Store;

namespace Arbor.Benchmarks.Legacy;

/// <summary>One (entity, feature) row to upsert or delete, after de-duplicating a write batch.</summary>
internal readonly record struct RowPerValueStoredValueRow(EntityKind Kind, string Id, string Feature, TypedValue Value)
{
    /// <summary>
    /// Flattens a batch into rows with one row per (kind, id, feature), the last value winning;
    /// validates ids and names so that bad input fails before touching the database.
    /// </summary>
    public static List<RowPerValueStoredValueRow> Flatten(IReadOnlyList<EntityFeatures> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var rows = new List<RowPerValueStoredValueRow>();
        var positions = new Dictionary<(EntityKind, string, string), int>();
        foreach (var entity in batch)
        {
            ArgumentNullException.ThrowIfNull(entity);
            if (string.IsNullOrEmpty(entity.Id))
            {
                throw new ArgumentException("An entity id must not be empty.", nameof(batch));
            }

            _ = entity.Kind.ToName();
            foreach (var (feature, value) in entity.Features)
            {
                if (string.IsNullOrEmpty(feature))
                {
                    throw new ArgumentException($"Entity '{entity.Id}' has a feature with an empty name.", nameof(batch));
                }

                var row = new RowPerValueStoredValueRow(entity.Kind, entity.Id, feature, value);
                if (positions.TryGetValue((entity.Kind, entity.Id, feature), out var at))
                {
                    rows[at] = row;
                }
                else
                {
                    positions.Add((entity.Kind, entity.Id, feature), rows.Count);
                    rows.Add(row);
                }
            }
        }

        return rows;
    }
}
