using System.Data.Common;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>Reads the (entity_kind, entities, values) rows of a stats query into <see cref="FeatureStoreStats"/>.</summary>
internal static class FeatureStoreStatsReader
{
    public static async Task<FeatureStoreStats> ReadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        long users = 0, userValues = 0, candidates = 0, candidateValues = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!EntityKindNames.TryParse(reader.GetString(0), out var kind))
            {
                continue;
            }

            var entities = reader.GetInt64(1);
            var values = reader.GetInt64(2);
            if (kind == EntityKind.User)
            {
                (users, userValues) = (entities, values);
            }
            else
            {
                (candidates, candidateValues) = (entities, values);
            }
        }

        return new FeatureStoreStats(users, userValues, candidates, candidateValues);
    }
}
