using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// The changes a write batch makes to one entity: one value per feature (the last one the batch
/// names), none meaning delete.
/// </summary>
internal sealed class EntityUpdate(EntityKind kind, string id)
{
    public EntityKind Kind { get; } = kind;

    public string Id { get; } = id;

    public Dictionary<string, TypedValue> Features { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Groups a batch by entity, in order of first appearance; validates ids and names so that bad
    /// input fails before touching the database.
    /// </summary>
    public static List<EntityUpdate> Group(IReadOnlyList<EntityFeatures> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var updates = new List<EntityUpdate>(batch.Count);
        var positions = new Dictionary<(EntityKind, string), int>(batch.Count);
        foreach (var entity in batch)
        {
            ArgumentNullException.ThrowIfNull(entity);
            if (string.IsNullOrEmpty(entity.Id))
            {
                throw new ArgumentException("An entity id must not be empty.", nameof(batch));
            }

            _ = entity.Kind.ToName();
            if (!positions.TryGetValue((entity.Kind, entity.Id), out var at))
            {
                at = updates.Count;
                positions.Add((entity.Kind, entity.Id), at);
                updates.Add(new EntityUpdate(entity.Kind, entity.Id));
            }

            var features = updates[at].Features;
            foreach (var (feature, value) in entity.Features)
            {
                if (string.IsNullOrEmpty(feature))
                {
                    throw new ArgumentException($"Entity '{entity.Id}' has a feature with an empty name.", nameof(batch));
                }

                features[feature] = value;
            }
        }

        return updates;
    }
}
