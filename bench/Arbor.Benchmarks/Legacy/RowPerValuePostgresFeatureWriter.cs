using Npgsql;
using NpgsqlTypes;

using Arbor.Root.Store;

namespace Arbor.Benchmarks.Legacy;

/// <summary>
/// A write transaction on a <see cref="RowPerValuePostgresFeatureStore"/>: each batch becomes one multi-row
/// upsert (and one delete) over unnested parameter arrays, not one statement per value.
/// </summary>
internal sealed class RowPerValuePostgresFeatureWriter(NpgsqlConnection connection, NpgsqlTransaction transaction) : IFeatureWriter
{
    // Keeps each statement's parameter arrays to a few MB.
    private const int RowsPerStatement = 5000;

    private const string Upsert = """
        INSERT INTO feature_values (entity_kind, entity_id, feature, value_type, value)
        SELECT * FROM unnest(@kinds, @ids, @features, @types, @values)
        ON CONFLICT (entity_kind, entity_id, feature)
        DO UPDATE SET value_type = excluded.value_type, value = excluded.value
        """;

    private const string Delete = """
        DELETE FROM feature_values AS v
        USING unnest(@kinds, @ids, @features) AS d(kind, id, feature)
        WHERE v.entity_kind = d.kind AND v.entity_id = d.id AND v.feature = d.feature
        """;

    private bool _committed;

    public async Task WriteAsync(IReadOnlyList<EntityFeatures> batch, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        var rows = RowPerValueStoredValueRow.Flatten(batch);
        var upserts = rows.Where(r => r.Value.HasValue).ToList();
        var deletes = rows.Where(r => !r.Value.HasValue).ToList();
        foreach (var chunk in upserts.Chunk(RowsPerStatement))
        {
            await using var command = new NpgsqlCommand(Upsert, connection, transaction);
            AddKeyArrays(command, chunk);
            command.Parameters.Add(new NpgsqlParameter<short[]>("types", NpgsqlDbType.Array | NpgsqlDbType.Smallint)
            {
                TypedValue = [.. chunk.Select(r => (short)r.Value.Kind)],
            });
            command.Parameters.Add(new NpgsqlParameter<byte[][]>("values", NpgsqlDbType.Array | NpgsqlDbType.Bytea)
            {
                TypedValue = [.. chunk.Select(r => TypedValueCodec.Encode(r.Value))],
            });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var chunk in deletes.Chunk(RowsPerStatement))
        {
            await using var command = new NpgsqlCommand(Delete, connection, transaction);
            AddKeyArrays(command, chunk);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync().ConfigureAwait(false); // rolls back when not committed
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private static void AddKeyArrays(NpgsqlCommand command, RowPerValueStoredValueRow[] chunk)
    {
        command.Parameters.Add(new NpgsqlParameter<string[]>("kinds", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            TypedValue = [.. chunk.Select(r => r.Kind.ToName())],
        });
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            TypedValue = [.. chunk.Select(r => r.Id)],
        });
        command.Parameters.Add(new NpgsqlParameter<string[]>("features", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            TypedValue = [.. chunk.Select(r => r.Feature)],
        });
    }
}
