using Arbor.FeatureStore.Sources;
using Microsoft.Data.Sqlite;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// A write transaction on a <see cref="SqliteFeatureStore"/>. The transaction holds SQLite's write
/// lock from its start (<c>BEGIN IMMEDIATE</c>), so reading, merging and rewriting a packed row
/// cannot race another writer; its statements are prepared once and run per entity.
/// </summary>
internal sealed class SqliteFeatureWriter : PackedFeatureWriter
{
    private readonly SqliteCommand _select;
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _delete;

    public SqliteFeatureWriter(SqliteConnection connection, SqliteTransaction transaction)
        : base(connection, transaction)
    {
        _select = Prepare("SELECT features FROM entity_features WHERE entity_kind = $kind AND entity_id = $id;", ("$kind", SqliteType.Text), ("$id", SqliteType.Text));
        _upsert = Prepare(
            """
            INSERT INTO entity_features (entity_kind, entity_id, feature_count, features)
            VALUES ($kind, $id, $count, $features)
            ON CONFLICT (entity_kind, entity_id)
            DO UPDATE SET feature_count = excluded.feature_count, features = excluded.features;
            """,
            ("$kind", SqliteType.Text),
            ("$id", SqliteType.Text),
            ("$count", SqliteType.Integer),
            ("$features", SqliteType.Blob));
        _delete = Prepare("DELETE FROM entity_features WHERE entity_kind = $kind AND entity_id = $id;", ("$kind", SqliteType.Text), ("$id", SqliteType.Text));
    }

    protected override async Task<List<(int Id, string Name)>> ResolveNamesAsync(IReadOnlyCollection<string> create, IReadOnlyCollection<string> lookUp, CancellationToken cancellationToken)
    {
        var resolved = new List<(int Id, string Name)>(create.Count + lookUp.Count);
        if (create.Count > 0)
        {
            // DO UPDATE (a no-op) rather than DO NOTHING, so that RETURNING gives the id either way.
            await using var insert = Prepare(
                "INSERT INTO feature_names (name) VALUES ($name) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id;",
                ("$name", SqliteType.Text));
            foreach (var name in create)
            {
                insert.Parameters[0].Value = name;
                resolved.Add((Convert.ToInt32(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture), name));
            }
        }

        if (lookUp.Count > 0)
        {
            await using var select = Prepare("SELECT id FROM feature_names WHERE name = $name;", ("$name", SqliteType.Text));
            foreach (var name in lookUp)
            {
                select.Parameters[0].Value = name;
                if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id)
                {
                    resolved.Add(((int)id, name));
                }
            }
        }

        return resolved;
    }

    protected override async Task<byte[]?[]> ReadExistingAsync(IReadOnlyList<EntityUpdate> entities, CancellationToken cancellationToken)
    {
        var existing = new byte[]?[entities.Count];
        for (var i = 0; i < entities.Count; i++)
        {
            _select.Parameters[0].Value = entities[i].Kind.ToName();
            _select.Parameters[1].Value = entities[i].Id;
            existing[i] = await _select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
        }

        return existing;
    }

    protected override async Task StoreAsync(IReadOnlyList<PackedEntityRow> rows, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            var command = row.Features is null ? _delete : _upsert;
            command.Parameters[0].Value = row.Kind.ToName();
            command.Parameters[1].Value = row.Id;
            if (row.Features is not null)
            {
                command.Parameters[2].Value = row.FeatureCount;
                command.Parameters[3].Value = row.Features;
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async ValueTask DisposeCommandsAsync()
    {
        await _select.DisposeAsync().ConfigureAwait(false);
        await _upsert.DisposeAsync().ConfigureAwait(false);
        await _delete.DisposeAsync().ConfigureAwait(false);
    }

    private SqliteCommand Prepare(string text, params (string Name, SqliteType Type)[] parameters)
    {
        var command = (SqliteCommand)CreateCommand(text);
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(name, type);
        }

        return command;
    }
}
