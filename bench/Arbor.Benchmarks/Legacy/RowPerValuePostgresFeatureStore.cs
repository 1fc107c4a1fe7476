using System.Buffers;
using Npgsql;
using NpgsqlTypes;

using Arbor.Root.Store;

namespace Arbor.Benchmarks.Legacy;

/// <summary>
/// The production feature store on PostgreSQL, same logical schema as <see cref="RowPerValueSqliteFeatureStore"/>.
/// A read is one statement: the ids and feature names travel as two text arrays, unnested
/// <c>WITH ORDINALITY</c> and joined against the primary key.
/// </summary>
public sealed class RowPerValuePostgresFeatureStore : IFeatureStore
{
    private const string ReadProjected = """
        SELECT i.ord, f.ord, v.value_type, v.value
        FROM unnest(@ids) WITH ORDINALITY AS i(id, ord)
        JOIN feature_values AS v ON v.entity_kind = @kind AND v.entity_id = i.id
        JOIN unnest(@features) WITH ORDINALITY AS f(name, ord) ON v.feature = f.name
        """;

    private const string ReadAll = """
        SELECT i.ord, v.feature, v.value_type, v.value
        FROM unnest(@ids) WITH ORDINALITY AS i(id, ord)
        JOIN feature_values AS v ON v.entity_kind = @kind AND v.entity_id = i.id
        """;

    private const string CreateSchema = """
        CREATE TABLE IF NOT EXISTS arbor_schema (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE IF NOT EXISTS feature_values (
          entity_kind text NOT NULL,
          entity_id   text NOT NULL,
          feature     text NOT NULL,
          value_type  smallint NOT NULL CHECK (value_type BETWEEN 1 AND 6),
          value       bytea NOT NULL,
          PRIMARY KEY (entity_kind, entity_id, feature)
        );
        INSERT INTO arbor_schema (key, value) VALUES ('version', @version) ON CONFLICT (key) DO NOTHING;
        SELECT value FROM arbor_schema WHERE key = 'version';
        """;

    private readonly NpgsqlDataSource _dataSource;

    /// <param name="connectionString">An Npgsql connection string (pooling on by default).</param>
    public RowPerValuePostgresFeatureStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // Two roots starting at once must not race on CREATE TABLE IF NOT EXISTS (it is not atomic).
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7261904)", connection, transaction))
            {
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var command = new NpgsqlCommand(CreateSchema, connection, transaction);
            command.Parameters.AddWithValue("version", "1");
            var version = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (version != "1")
            {
                throw new InvalidOperationException(
                    $"Feature store has schema version '{version}'; this build reads version {"1"}.");
            }
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

        await using var command = _dataSource.CreateCommand(features.IsAll ? ReadAll : ReadProjected);
        command.Parameters.Add(new NpgsqlParameter<string>("kind", NpgsqlDbType.Text) { TypedValue = entity.ToName() });
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids as string[] ?? [.. ids] });
        if (!features.IsAll)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>("features", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. features.Names] });
        }

        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // WITH ORDINALITY counts from 1.
                var row = (int)reader.GetInt64(0) - 1;
                var length = (int)reader.GetBytes(3, 0, null, 0, 0);
                if (length > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }

                reader.GetBytes(3, 0, buffer, 0, length);
                var value = TypedValueCodec.Decode(reader.GetInt16(2), buffer.AsSpan(0, length));
                if (features.IsAll)
                {
                    builder.Set(row, reader.GetString(1), value);
                }
                else
                {
                    builder.Set(row, (int)reader.GetInt64(1) - 1, value);
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
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new RowPerValuePostgresFeatureWriter(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<FeatureStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT entity_kind, COUNT(DISTINCT entity_id), COUNT(*) FROM feature_values GROUP BY entity_kind;");
        return await RowPerValueFeatureStoreStatsReader.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
