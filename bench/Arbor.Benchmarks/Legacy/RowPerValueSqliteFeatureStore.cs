using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

using Arbor.Root.Store;

namespace Arbor.Benchmarks.Legacy;

/// <summary>
/// The embedded feature store: one SQLite file, zero set-up, WAL journal so reads never wait for an
/// import. One row per (entity kind, entity id, feature); a read joins the ids and feature names,
/// passed as JSON arrays through <c>json_each</c>, against the primary key in one statement.
/// </summary>
public sealed class RowPerValueSqliteFeatureStore : IFeatureStore
{
    // Rows come back as (position of the id, position of the feature, type, payload): positions are
    // integers, so a read allocates no id or name strings per row.
    private const string ReadProjected = """
        SELECT i.key, f.key, v.value_type, v.value
        FROM json_each($ids) AS i
        CROSS JOIN json_each($features) AS f
        CROSS JOIN feature_values AS v
          ON v.entity_kind = $kind AND v.entity_id = i.value AND v.feature = f.value
        """;

    private const string ReadAll = """
        SELECT i.key, v.feature, v.value_type, v.value
        FROM json_each($ids) AS i
        CROSS JOIN feature_values AS v ON v.entity_kind = $kind AND v.entity_id = i.value
        """;

    private const string CreateSchema = """
        CREATE TABLE IF NOT EXISTS arbor_schema (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS feature_values (
          entity_kind TEXT NOT NULL,
          entity_id   TEXT NOT NULL,
          feature     TEXT NOT NULL,
          value_type  INTEGER NOT NULL CHECK (value_type BETWEEN 1 AND 6),
          value       BLOB NOT NULL,
          PRIMARY KEY (entity_kind, entity_id, feature)
        ) WITHOUT ROWID;
        INSERT INTO arbor_schema (key, value) VALUES ('version', $version) ON CONFLICT (key) DO NOTHING;
        SELECT value FROM arbor_schema WHERE key = 'version';
        """;

    private readonly string _connectionString;

    /// <param name="databasePath">The database file; created by <see cref="InitializeAsync"/> when missing.</param>
    public RowPerValueSqliteFeatureStore(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string DatabasePath { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var wal = connection.CreateCommand())
        {
            // Persistent in the file: readers keep reading while an import writes.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var command = connection.CreateCommand();
        command.CommandText = CreateSchema;
        command.Parameters.AddWithValue("$version", "1");
        var version = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (version != "1")
        {
            throw new InvalidOperationException(
                $"Feature store {DatabasePath} has schema version '{version}'; this build reads version {"1"}.");
        }
    }

    public async ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(features);
        var builder = new RowPerValueFeatureTableBuilder(ids, features);
        if (ids.Count == 0 || (!features.IsAll && features.Count == 0))
        {
            return builder.Build();
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = features.IsAll ? ReadAll : ReadProjected;
        command.Parameters.AddWithValue("$kind", entity.ToName());
        command.Parameters.AddWithValue("$ids", ToJsonArray(ids));
        if (!features.IsAll)
        {
            command.Parameters.AddWithValue("$features", ToJsonArray(features.Names));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var row = reader.GetInt32(0);
                var length = (int)reader.GetBytes(3, 0, null, 0, 0);
                if (length > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }

                reader.GetBytes(3, 0, buffer, 0, length);
                var value = TypedValueCodec.Decode(reader.GetInt32(2), buffer.AsSpan(0, length));
                if (features.IsAll)
                {
                    builder.Set(row, reader.GetString(1), value);
                }
                else
                {
                    builder.Set(row, reader.GetInt32(1), value);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return builder.Build();
    }

    public async Task<IFeatureWriter> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA synchronous = NORMAL;";
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new RowPerValueSqliteFeatureWriter(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<FeatureStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT entity_kind, COUNT(DISTINCT entity_id), COUNT(*) FROM feature_values GROUP BY entity_kind;";
        return await RowPerValueFeatureStoreStatsReader.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open (and the WAL un-checkpointed) until cleared.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    internal static string ToJsonArray(IReadOnlyList<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>(values.Count * 16);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
