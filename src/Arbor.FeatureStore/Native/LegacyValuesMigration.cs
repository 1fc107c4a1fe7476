using System.Data.Common;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// Moves a schema version 1 store (one row per value in <c>feature_values</c>) to packed rows,
/// inside the transaction of the given writer: the old rows are read in primary key order, a page
/// at a time, and written as ordinary batches, so an entity split across two pages is simply
/// merged. The adapters supply the page query.
/// </summary>
internal static class LegacyValuesMigration
{
    /// <summary>Old rows per page (and per write batch).</summary>
    public const int PageSize = 10_000;

    /// <param name="writer">The write transaction that also creates the new tables and records the new version.</param>
    /// <param name="readPage">
    /// Reads up to <see cref="PageSize"/> rows ordered by (kind, id, feature) strictly after the given
    /// key, or from the start when it is null (see <see cref="ReadPageAsync"/>).
    /// </param>
    /// <param name="cancellationToken">Cancels the migration (the writer then rolls it back).</param>
    /// <returns>The number of values moved.</returns>
    public static async Task<long> MigrateAsync(
        PackedFeatureWriter writer,
        Func<LegacyValueRow?, CancellationToken, Task<List<LegacyValueRow>>> readPage,
        CancellationToken cancellationToken)
    {
        long moved = 0;
        LegacyValueRow? after = null;
        while (true)
        {
            var page = await readPage(after, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return moved;
            }

            await writer.WriteAsync(ToEntities(page), cancellationToken).ConfigureAwait(false);
            moved += page.Count;
            after = page[^1];
            if (page.Count < PageSize)
            {
                return moved;
            }
        }
    }

    /// <summary>Reads the (entity_kind, entity_id, feature, value_type, value) rows of a page query.</summary>
    public static async Task<List<LegacyValueRow>> ReadPageAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<LegacyValueRow>(PageSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var value = TypedValueCodec.Decode(reader.GetInt32(3), reader.GetFieldValue<byte[]>(4));
            rows.Add(new LegacyValueRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), value));
        }

        return rows;
    }

    private static List<EntityFeatures> ToEntities(List<LegacyValueRow> page)
    {
        var entities = new List<EntityFeatures>();
        var start = 0;
        for (var i = 1; i <= page.Count; i++)
        {
            if (i < page.Count && string.Equals(page[i].Kind, page[start].Kind, StringComparison.Ordinal) && string.Equals(page[i].Id, page[start].Id, StringComparison.Ordinal))
            {
                continue;
            }

            if (!EntityKindNames.TryParse(page[start].Kind, out var kind))
            {
                throw new FormatException($"Version {FeatureStoreSchema.LegacyVersion} row of entity '{page[start].Id}' has an unknown entity kind '{page[start].Kind}'.");
            }

            var features = new KeyValuePair<string, TypedValue>[i - start];
            for (var j = start; j < i; j++)
            {
                features[j - start] = new(page[j].Feature, page[j].Value);
            }

            entities.Add(new EntityFeatures(kind, page[start].Id, features));
            start = i;
        }

        return entities;
    }
}
