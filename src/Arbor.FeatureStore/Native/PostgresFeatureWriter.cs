using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Npgsql;
using NpgsqlTypes;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// A write transaction on a <see cref="PostgresFeatureStore"/>: each step of a batch is one
/// statement over unnested parameter arrays, not one per entity. Rows to merge are locked
/// (<c>FOR UPDATE</c>) so that concurrent writers to one entity merge one after the other.
/// </summary>
internal sealed class PostgresFeatureWriter : PackedFeatureWriter
{
    // Keeps each statement's parameter arrays to a few MB.
    private const int EntitiesPerStatement = 2000;

    private const string AddNames = """
        INSERT INTO feature_names (name)
        SELECT n FROM unnest(@names) AS n ORDER BY n
        ON CONFLICT (name) DO NOTHING
        """;

    private const string FindNames = "SELECT id, name FROM feature_names WHERE name = ANY(@names)";

    // An entity without a row gets an empty placeholder first, so that two writers creating the
    // same entity lock the same row instead of both inserting (the second would lose the first's features).
    private const string AddPlaceholders = """
        INSERT INTO entity_features (entity_kind, entity_id, feature_count, features)
        SELECT k, i, 0, ''::bytea FROM unnest(@kinds, @ids) AS t(k, i) ORDER BY k, i
        ON CONFLICT (entity_kind, entity_id) DO NOTHING
        """;

    private const string LockRows = """
        SELECT t.ord, e.features
        FROM unnest(@kinds, @ids) WITH ORDINALITY AS t(k, i, ord)
        JOIN entity_features AS e ON e.entity_kind = t.k AND e.entity_id = t.i
        ORDER BY e.entity_kind, e.entity_id
        FOR UPDATE OF e
        """;

    private const string Upsert = """
        INSERT INTO entity_features (entity_kind, entity_id, feature_count, features)
        SELECT * FROM unnest(@kinds, @ids, @counts, @features)
        ON CONFLICT (entity_kind, entity_id)
        DO UPDATE SET feature_count = excluded.feature_count, features = excluded.features
        """;

    private const string Delete = """
        DELETE FROM entity_features AS e
        USING unnest(@kinds, @ids) AS d(kind, id)
        WHERE e.entity_kind = d.kind AND e.entity_id = d.id
        """;

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    public PostgresFeatureWriter(NpgsqlConnection connection, NpgsqlTransaction transaction)
        : base(connection, transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    protected override async Task<List<(int Id, string Name)>> ResolveNamesAsync(IReadOnlyCollection<string> create, IReadOnlyCollection<string> lookUp, CancellationToken cancellationToken)
    {
        if (create.Count > 0)
        {
            // A concurrent writer adding the same name makes this wait for its commit, then do nothing.
            await using var insert = new NpgsqlCommand(AddNames, _connection, _transaction);
            insert.Parameters.Add(TextArray("names", [.. create]));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // A separate statement: its snapshot includes names committed by writers the insert waited for.
        await using var select = new NpgsqlCommand(FindNames, _connection, _transaction);
        select.Parameters.Add(TextArray("names", [.. create, .. lookUp]));
        return await FeatureNameCache.ReadAsync(select, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<byte[]?[]> ReadExistingAsync(IReadOnlyList<EntityUpdate> entities, CancellationToken cancellationToken)
    {
        var existing = new byte[]?[entities.Count];
        for (var start = 0; start < entities.Count; start += EntitiesPerStatement)
        {
            var count = Math.Min(EntitiesPerStatement, entities.Count - start);
            var kinds = new string[count];
            var ids = new string[count];
            for (var i = 0; i < count; i++)
            {
                kinds[i] = entities[start + i].Kind.ToName();
                ids[i] = entities[start + i].Id;
            }

            await using (var placeholders = new NpgsqlCommand(AddPlaceholders, _connection, _transaction))
            {
                placeholders.Parameters.Add(TextArray("kinds", kinds));
                placeholders.Parameters.Add(TextArray("ids", ids));
                await placeholders.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var select = new NpgsqlCommand(LockRows, _connection, _transaction);
            select.Parameters.Add(TextArray("kinds", kinds));
            select.Parameters.Add(TextArray("ids", ids));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // WITH ORDINALITY counts from 1.
                existing[start + (int)reader.GetInt64(0) - 1] = reader.GetFieldValue<byte[]>(1);
            }
        }

        return existing;
    }

    protected override async Task StoreAsync(IReadOnlyList<PackedEntityRow> rows, CancellationToken cancellationToken)
    {
        var upserts = new List<PackedEntityRow>(rows.Count);
        var deletes = new List<PackedEntityRow>();
        foreach (var row in rows)
        {
            (row.Features is null ? deletes : upserts).Add(row);
        }

        foreach (var chunk in upserts.Chunk(EntitiesPerStatement))
        {
            await using var command = new NpgsqlCommand(Upsert, _connection, _transaction);
            AddKeyArrays(command, chunk);
            command.Parameters.Add(new NpgsqlParameter<int[]>("counts", NpgsqlDbType.Array | NpgsqlDbType.Integer)
            {
                TypedValue = [.. chunk.Select(r => r.FeatureCount)],
            });
            command.Parameters.Add(new NpgsqlParameter<byte[][]>("features", NpgsqlDbType.Array | NpgsqlDbType.Bytea)
            {
                TypedValue = [.. chunk.Select(r => r.Features!)],
            });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var chunk in deletes.Chunk(EntitiesPerStatement))
        {
            await using var command = new NpgsqlCommand(Delete, _connection, _transaction);
            AddKeyArrays(command, chunk);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static NpgsqlParameter<string[]> TextArray(string name, string[] values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = values };

    private static void AddKeyArrays(NpgsqlCommand command, PackedEntityRow[] chunk)
    {
        command.Parameters.Add(TextArray("kinds", [.. chunk.Select(r => r.Kind.ToName())]));
        command.Parameters.Add(TextArray("ids", [.. chunk.Select(r => r.Id)]));
    }
}
