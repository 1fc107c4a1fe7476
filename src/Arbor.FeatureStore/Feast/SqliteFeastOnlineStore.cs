using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// Feast's SQLite online store (<c>online_store: type: sqlite</c>), opened read-only. Feast writes
/// <c>event_ts</c> as Unix seconds (recent releases) or ISO 8601 text in UTC (older ones); both are read.
/// </summary>
internal sealed class SqliteFeastOnlineStore : FeastSqlOnlineStore
{
    private readonly string _path;
    private readonly string _connectionString;

    public SqliteFeastOnlineStore(string path, string project, FeastSourceMetrics metrics)
        : base(project, metrics)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = true,
            DefaultTimeout = 5,
        }.ToString();
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        // Read-only mode would report a missing file as "unable to open": say what it is.
        if (!File.Exists(_path))
        {
            throw new FeastSourceException("There is no Feast SQLite online store at the configured path.");
        }

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

    public override async Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = (SqliteCommand)connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    public override DbCommand Read(DbConnection connection, string table, IReadOnlyList<byte[]> keys, IReadOnlyList<string>? features)
    {
        var command = (SqliteCommand)connection.CreateCommand();
        var text = new StringBuilder("SELECT entity_key, feature_name, value, event_ts FROM ").Append(Quote(table)).Append(" WHERE entity_key IN (");
        for (var i = 0; i < keys.Count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"$k{i}");
            text.Append(i == 0 ? "" : ",").Append(name);
            command.Parameters.Add(name, SqliteType.Blob).Value = keys[i];
        }

        text.Append(')');
        if (features is not null)
        {
            text.Append(" AND feature_name IN (");
            for (var i = 0; i < features.Count; i++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"$f{i}");
                text.Append(i == 0 ? "" : ",").Append(name);
                command.Parameters.Add(name, SqliteType.Text).Value = features[i];
            }

            text.Append(')');
        }

        command.CommandText = text.ToString();
        return command;
    }

    public override DbCommand SampleKey(DbConnection connection, string table)
    {
        var command = connection.CreateCommand();
        command.CommandText = $"SELECT entity_key FROM {Quote(table)} LIMIT 1";
        return command;
    }

    public override DbCommand SampleValues(DbConnection connection, string table)
    {
        // SQLite answers a bare column of a grouped query from one row of the group.
        var command = connection.CreateCommand();
        command.CommandText = $"SELECT feature_name, value FROM {Quote(table)} GROUP BY feature_name";
        return command;
    }

    public override DateTimeOffset? EventTime(DbDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        var value = reader.GetValue(ordinal);
        return value switch
        {
            long seconds => DateTimeOffset.FromUnixTimeSeconds(seconds),
            double seconds => DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)),
            string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) => time,
            _ => throw new FormatException($"event_ts '{value}' is neither Unix seconds nor an ISO 8601 time."),
        };
    }

    public override CancellationTokenRegistration StopOnCancel(DbConnection connection, CancellationToken cancellationToken) =>
        // Microsoft.Data.Sqlite looks at the token only between rows: interrupt the statement itself.
        cancellationToken.UnsafeRegister(static state => raw.sqlite3_interrupt(((SqliteConnection)state!).Handle), connection);

    public override ValueTask DisposeAsync()
    {
        // Only this store's pooled connections: other stores in the process keep theirs.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }
}
