using System.Data.Common;
using Npgsql;
using NpgsqlTypes;

namespace Arbor.FeatureStore.Feast;

/// <summary>Feast's PostgreSQL online store (<c>online_store: type: postgres</c>); tables are found on the connection's search path.</summary>
internal sealed class PostgresFeastOnlineStore(string connectionString, string project, FeastSourceMetrics metrics) : FeastSqlOnlineStore(project, metrics)
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public override async Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass(quote_ident(@name)) IS NOT NULL", (NpgsqlConnection)connection);
        command.Parameters.AddWithValue("name", table);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    public override DbCommand Read(DbConnection connection, string table, IReadOnlyList<byte[]> keys, IReadOnlyList<string>? features)
    {
        var command = new NpgsqlCommand(
            $"SELECT entity_key, feature_name, value, event_ts FROM {Quote(table)} WHERE entity_key = ANY(@keys)" + (features is null ? "" : " AND feature_name = ANY(@features)"),
            (NpgsqlConnection)connection);
        command.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = keys });
        if (features is not null)
        {
            command.Parameters.Add(new NpgsqlParameter("features", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = features });
        }

        return command;
    }

    public override DbCommand SampleKey(DbConnection connection, string table) =>
        new NpgsqlCommand($"SELECT entity_key FROM {Quote(table)} LIMIT 1", (NpgsqlConnection)connection);

    public override DbCommand SampleValues(DbConnection connection, string table) =>
        new NpgsqlCommand($"SELECT DISTINCT ON (feature_name) feature_name, value FROM {Quote(table)}", (NpgsqlConnection)connection);

    public override DateTimeOffset? EventTime(DbDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        // timestamptz reads as UTC; a plain timestamp column holds Feast's naive UTC time.
        var time = reader.GetFieldValue<DateTime>(ordinal);
        return new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc));
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
