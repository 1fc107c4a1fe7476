using Arbor.Root.Store;
using Arbor.Testing;
using Npgsql;

namespace Arbor.FeatureStore.Tests.Native;

/// <summary>One private PostgreSQL server shared by a test class; each test gets its own schema.</summary>
public sealed class PostgresServerFixture : IDisposable
{
    private int _schemas;

    public LocalPostgresServer Server { get; } = new();

    /// <summary>Creates an empty schema and returns a connection string whose search path is that schema.</summary>
    public async Task<string> CreateSchemaAsync(CancellationToken cancellationToken)
    {
        var schema = "t" + Interlocked.Increment(ref _schemas);
        await using var connection = new NpgsqlConnection(Server.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema};", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return Server.ConnectionStringFor(schema);
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Server.Dispose();
    }
}
