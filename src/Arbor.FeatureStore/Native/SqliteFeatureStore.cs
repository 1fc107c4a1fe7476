using System.Buffers;
using System.Text;
using System.Text.Json;
using Arbor.FeatureStore.Sources;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// The embedded feature store: one SQLite file, zero set-up, WAL journal so reads never wait for an
/// import. One packed row per entity (<see cref="PackedFeatures"/>); a read joins the ids, passed as
/// a JSON array through <c>json_each</c>, against the primary key in one statement and projects the
/// requested features while decoding.
/// </summary>
public sealed class SqliteFeatureStore : IFeatureStore
{
    // Rows come back as (position of the id, packed features): no id strings are allocated per row.
    private const string Read = """
        SELECT i.key, e.features
        FROM json_each($ids) AS i
        CROSS JOIN entity_features AS e ON e.entity_kind = $kind AND e.entity_id = i.value
        """;

    private const string CheckSchema = "SELECT value FROM arbor_schema WHERE key = 'version'";

    private const string ReadNames = "SELECT id, name FROM feature_names";

    private const string CreateMetadata = """
        CREATE TABLE IF NOT EXISTS arbor_schema (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        SELECT value FROM arbor_schema WHERE key = 'version';
        """;

    private const string CreateSchema = """
        CREATE TABLE IF NOT EXISTS feature_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS entity_features (
          entity_kind   TEXT NOT NULL,
          entity_id     TEXT NOT NULL,
          feature_count INTEGER NOT NULL,
          features      BLOB NOT NULL,
          PRIMARY KEY (entity_kind, entity_id)
        ) WITHOUT ROWID;
        """;

    private const string RecordVersion = """
        INSERT INTO arbor_schema (key, value) VALUES ('version', $version)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
        """;

    private const string ReadLegacyPage = """
        SELECT entity_kind, entity_id, feature, value_type, value FROM feature_values
        WHERE (entity_kind, entity_id, feature) > ($kind, $id, $feature)
        ORDER BY entity_kind, entity_id, feature
        LIMIT $limit
        """;

    private readonly string _connectionString;
    private readonly FeatureNameCache _names = new();

    /// <param name="databasePath">The database file; created by <see cref="InitializeAsync"/> when missing.</param>
    public SqliteFeatureStore(string databasePath)
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

    /// <summary>
    /// Creates the schema when missing, migrates a version 1 store (one row per value) to packed rows
    /// in one transaction, and refuses any other version.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await InitializeCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException)
        {
            // A pooled connection keeps the file it opened: a file replaced after a failure (a
            // repaired or restored store) is only seen by new connections.
            ClearPool();
            throw;
        }
    }

    private async Task InitializeCoreAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var wal = connection.CreateCommand())
        {
            // Persistent in the file: readers keep reading while an import writes.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // The write transaction holds the write lock: two processes initialising at once run one after the other.
        await using var writer = await BeginWriterAsync(cancellationToken).ConfigureAwait(false);
        var version = (string?)await ExecuteAsync(writer, CreateMetadata, cancellationToken).ConfigureAwait(false);
        if (version is not null && version != FeatureStoreSchema.Version && version != FeatureStoreSchema.LegacyVersion)
        {
            throw new InvalidOperationException(
                $"Feature store {DatabasePath} has schema version '{version}'; this build reads version {FeatureStoreSchema.Version} " +
                $"(and migrates version {FeatureStoreSchema.LegacyVersion}).");
        }

        await ExecuteAsync(writer, CreateSchema, cancellationToken).ConfigureAwait(false);
        if (version == FeatureStoreSchema.LegacyVersion)
        {
            await LegacyValuesMigration.MigrateAsync(writer, (after, ct) => ReadLegacyPageAsync(writer, after, ct), cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(writer, "DROP TABLE feature_values;", cancellationToken).ConfigureAwait(false);
        }

        if (version != FeatureStoreSchema.Version)
        {
            await ExecuteAsync(writer, RecordVersion, cancellationToken, ("$version", FeatureStoreSchema.Version)).ConfigureAwait(false);
        }

        await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(features);
        if (ids.Count == 0 || (!features.IsAll && features.Count == 0))
        {
            return new FeatureTableBuilder(ids, features).Build();
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // Microsoft.Data.Sqlite runs statements synchronously and looks at the token only before a
        // statement and between rows: interrupt the running statement when the token fires.
        using var interrupt = cancellationToken.UnsafeRegister(static state => raw.sqlite3_interrupt(((SqliteConnection)state!).Handle), connection);
        try
        {
            return await ReadCoreAsync(connection, entity, ids, features, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The feature read was cancelled.", e, cancellationToken);
        }
    }

    public async Task<IFeatureWriter> BeginWriteAsync(CancellationToken cancellationToken) =>
        await BeginWriterAsync(cancellationToken).ConfigureAwait(false);

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CheckCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException)
        {
            ClearPool();
            throw;
        }
    }

    private async Task CheckCoreAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = CheckSchema;
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string)
        {
            throw new InvalidOperationException($"Feature store {DatabasePath} has no schema version: it is not initialised.");
        }
    }

    public async Task<FeatureStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT entity_kind, COUNT(*), SUM(feature_count) FROM entity_features GROUP BY entity_kind;";
        return await FeatureStoreStatsReader.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open (and the WAL un-checkpointed) until cleared.
        ClearPool();
        return ValueTask.CompletedTask;
    }

    private void ClearPool()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private async Task<FeatureTable> ReadCoreAsync(SqliteConnection connection, EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
    {
        var names = _names.Current ?? await LoadNamesAsync(connection, cancellationToken).ConfigureAwait(false);
        var table = new PackedFeatureTableAssembler(entity, ids, features, names);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = Read;
            command.Parameters.AddWithValue("$kind", entity.ToName());
            command.Parameters.AddWithValue("$ids", ToJsonArray(ids));
            var buffer = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var length = (int)reader.GetBytes(1, 0, null, 0, 0);
                    if (length > buffer.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(length);
                    }

                    reader.GetBytes(1, 0, buffer, 0, length);
                    table.Add(reader.GetInt32(0), buffer.AsSpan(0, length));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (table.NeedsNewerNames)
        {
            table.Resolve(await LoadNamesAsync(connection, cancellationToken).ConfigureAwait(false));
        }

        return table.Build();
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

    private static async Task<object?> ExecuteAsync(SqliteFeatureWriter writer, string text, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = (SqliteCommand)writer.Connection.CreateCommand();
        command.Transaction = (SqliteTransaction)writer.Transaction;
        command.CommandText = text;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<LegacyValueRow>> ReadLegacyPageAsync(SqliteFeatureWriter writer, LegacyValueRow? after, CancellationToken cancellationToken)
    {
        await using var command = (SqliteCommand)writer.Connection.CreateCommand();
        command.Transaction = (SqliteTransaction)writer.Transaction;
        command.CommandText = ReadLegacyPage;
        command.Parameters.AddWithValue("$kind", after?.Kind ?? string.Empty);
        command.Parameters.AddWithValue("$id", after?.Id ?? string.Empty);
        command.Parameters.AddWithValue("$feature", after?.Feature ?? string.Empty);
        command.Parameters.AddWithValue("$limit", LegacyValuesMigration.PageSize);
        return await LegacyValuesMigration.ReadPageAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private async Task<FeatureNameDictionary> LoadNamesAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = ReadNames;
        return await _names.LoadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteFeatureWriter> BeginWriterAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA synchronous = NORMAL;";
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // BEGIN IMMEDIATE: the write lock is taken now, so a packed row read for merging cannot change under the writer.
            var transaction = connection.BeginTransaction(deferred: false);
            return new SqliteFeatureWriter(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
