using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Arbor.Testing.Feast;

/// <summary>
/// Fills Feast PostgreSQL online store tables, created with Feast's own statement, with the rows
/// (bytes as written) of a Feast SQLite store: the same data in Feast's other layout.
/// </summary>
public static class FeastPostgresCopy
{
    public static async Task CopyAsync(string sqliteDatabase, string connectionString, string project, IReadOnlyList<string> views, CancellationToken cancellationToken)
    {
        await using var target = new NpgsqlConnection(connectionString);
        await target.OpenAsync(cancellationToken);
        await using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqliteDatabase, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await source.OpenAsync(cancellationToken);
        foreach (var view in views)
        {
            var table = $"{project}_{view}";

            // Feast's own statement (PostgreSQLOnlineStore.update, pgvector off).
            await using (var create = new NpgsqlCommand(
                $"""
                CREATE TABLE IF NOT EXISTS "{table}" (entity_key BYTEA, feature_name TEXT, value BYTEA, value_text TEXT NULL,
                    vector_value BYTEA NULL, event_ts TIMESTAMPTZ, created_ts TIMESTAMPTZ, PRIMARY KEY(entity_key, feature_name));
                CREATE INDEX IF NOT EXISTS "{table}_ek" ON "{table}" (entity_key);
                """,
                target))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var read = source.CreateCommand();
            read.CommandText = $"SELECT entity_key, feature_name, value, event_ts FROM {table}";
            await using var rows = await read.ExecuteReaderAsync(cancellationToken);
            await using var writer = await target.BeginBinaryImportAsync($"COPY \"{table}\" (entity_key, feature_name, value, event_ts, created_ts) FROM STDIN (FORMAT BINARY)", cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                var eventTime = DateTimeOffset.FromUnixTimeSeconds(rows.GetInt64(3)).UtcDateTime;
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(rows.GetFieldValue<byte[]>(0), NpgsqlDbType.Bytea, cancellationToken);
                await writer.WriteAsync(rows.GetString(1), NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(rows.GetFieldValue<byte[]>(2), NpgsqlDbType.Bytea, cancellationToken);
                await writer.WriteAsync(eventTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(eventTime, NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }
    }
}
