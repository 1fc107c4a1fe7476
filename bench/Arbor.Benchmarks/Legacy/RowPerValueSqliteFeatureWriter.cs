using Microsoft.Data.Sqlite;

using Arbor.Root.Store;

namespace Arbor.Benchmarks.Legacy;

/// <summary>A write transaction on a <see cref="RowPerValueSqliteFeatureStore"/>, with its upsert and delete statements prepared once.</summary>
internal sealed class RowPerValueSqliteFeatureWriter : IFeatureWriter
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _delete;
    private bool _committed;

    public RowPerValueSqliteFeatureWriter(SqliteConnection connection, SqliteTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
        _upsert = connection.CreateCommand();
        _upsert.Transaction = transaction;
        _upsert.CommandText = """
            INSERT INTO feature_values (entity_kind, entity_id, feature, value_type, value)
            VALUES ($kind, $id, $feature, $type, $value)
            ON CONFLICT (entity_kind, entity_id, feature)
            DO UPDATE SET value_type = excluded.value_type, value = excluded.value;
            """;
        _upsert.Parameters.Add("$kind", SqliteType.Text);
        _upsert.Parameters.Add("$id", SqliteType.Text);
        _upsert.Parameters.Add("$feature", SqliteType.Text);
        _upsert.Parameters.Add("$type", SqliteType.Integer);
        _upsert.Parameters.Add("$value", SqliteType.Blob);
        _delete = connection.CreateCommand();
        _delete.Transaction = transaction;
        _delete.CommandText = "DELETE FROM feature_values WHERE entity_kind = $kind AND entity_id = $id AND feature = $feature;";
        _delete.Parameters.Add("$kind", SqliteType.Text);
        _delete.Parameters.Add("$id", SqliteType.Text);
        _delete.Parameters.Add("$feature", SqliteType.Text);
    }

    public async Task WriteAsync(IReadOnlyList<EntityFeatures> batch, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        foreach (var row in RowPerValueStoredValueRow.Flatten(batch))
        {
            var command = row.Value.HasValue ? _upsert : _delete;
            command.Parameters[0].Value = row.Kind.ToName();
            command.Parameters[1].Value = row.Id;
            command.Parameters[2].Value = row.Feature;
            if (row.Value.HasValue)
            {
                command.Parameters[3].Value = (int)row.Value.Kind;
                command.Parameters[4].Value = TypedValueCodec.Encode(row.Value);
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        await _upsert.DisposeAsync().ConfigureAwait(false);
        await _delete.DisposeAsync().ConfigureAwait(false);
        await _transaction.DisposeAsync().ConfigureAwait(false); // rolls back when not committed
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
