using Arbor.Features.Values;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Arbor.FeatureStore.Tests.Native;

public sealed class SqliteFeatureStoreTests : MigratingFeatureStoreContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    protected override Task<IFeatureStore> CreateStoreAsync() =>
        Task.FromResult<IFeatureStore>(new SqliteFeatureStore(_directory.Combine("sub", "features.db")));

    protected override IFeatureStore OpenSameStore() => new SqliteFeatureStore(((SqliteFeatureStore)Store).DatabasePath);

    protected override async Task<IFeatureStore> CreateVersion1StoreAsync(IReadOnlyList<(string Kind, string Id, string Feature, TypedValue Value)> rows)
    {
        var path = _directory.Combine("v1", $"{Guid.NewGuid():N}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var connection = await OpenRawAsync(path);
        await using var transaction = connection.BeginTransaction();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE arbor_schema (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE feature_values (
                  entity_kind TEXT NOT NULL,
                  entity_id   TEXT NOT NULL,
                  feature     TEXT NOT NULL,
                  value_type  INTEGER NOT NULL CHECK (value_type BETWEEN 1 AND 6),
                  value       BLOB NOT NULL,
                  PRIMARY KEY (entity_kind, entity_id, feature)
                ) WITHOUT ROWID;
                INSERT INTO arbor_schema (key, value) VALUES ('version', '1');
                """;
            await create.ExecuteNonQueryAsync(Ct);
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO feature_values VALUES ($kind, $id, $feature, $type, $value);";
            foreach (var (kind, id, feature, value) in rows)
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$kind", kind);
                insert.Parameters.AddWithValue("$id", id);
                insert.Parameters.AddWithValue("$feature", feature);
                insert.Parameters.AddWithValue("$type", (int)value.Kind);
                insert.Parameters.AddWithValue("$value", TypedValueCodec.Encode(value));
                await insert.ExecuteNonQueryAsync(Ct);
            }
        }

        await transaction.CommitAsync(Ct);
        return new SqliteFeatureStore(path);
    }

    protected override async Task<string?> ReadSchemaVersionAsync(IFeatureStore store) =>
        (string?)await ScalarAsync(((SqliteFeatureStore)store).DatabasePath, "SELECT value FROM arbor_schema WHERE key = 'version';");

    [Fact]
    public async Task Initialize_UsesWriteAheadLog()
    {
        Assert.Equal("wal", (string?)await ScalarAsync(((SqliteFeatureStore)Store).DatabasePath, "PRAGMA journal_mode;"));
    }

    [Fact]
    public async Task Initialize_UnknownSchemaVersion_IsRefused()
    {
        var path = ((SqliteFeatureStore)Store).DatabasePath;
        await ScalarAsync(path, "UPDATE arbor_schema SET value = '99' WHERE key = 'version';");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.InitializeAsync(Ct));
        Assert.Contains("'99'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_Version1Store_DropsTheOldTable()
    {
        await using var store = (SqliteFeatureStore)await CreateVersion1StoreAsync([("user", "u1", "a", TypedValue.FromInt64(1))]);

        await store.InitializeAsync(Ct);

        Assert.Equal(0L, await ScalarAsync(store.DatabasePath, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'feature_values';"));
    }

    [Fact]
    public async Task Read_MalformedStoredRow_FailsNamingTheEntity()
    {
        await WriteAsync(Candidate("c1", ("a", 1)), Candidate("c2", ("a", 2)));
        await ScalarAsync(((SqliteFeatureStore)Store).DatabasePath, "UPDATE entity_features SET features = x'01020000' WHERE entity_id = 'c2';");

        var error = await Assert.ThrowsAsync<FormatException>(
            async () => await Store.ReadAsync(EntityKind.Candidate, ["c1", "c2"], FeatureProjection.Of("a"), Ct));

        Assert.Contains("candidate 'c2'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_StatementStillRunningWhenTheTokenFires_IsInterrupted()
    {
        // entity_features becomes a view that takes seconds to find nothing: the read's statement
        // then runs one long step, which only an interrupt (not the token checks before a statement
        // and between rows) can stop.
        await WriteAsync(Candidate("c1", ("a", 1)));
        await ScalarAsync(((SqliteFeatureStore)Store).DatabasePath, """
            ALTER TABLE entity_features RENAME TO stored_features;
            CREATE VIEW entity_features AS
              WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 20000000)
              SELECT 'candidate' AS entity_kind, 'c1' AS entity_id, 1 AS feature_count, x'' AS features FROM n WHERE x < 0;
            """);
        var deadline = TimeSpan.FromMilliseconds(200);
        using var expiry = new CancellationTokenSource(deadline);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), expiry.Token));

        var bound = deadline + TimeSpan.FromSeconds(3);
        Assert.True(watch.Elapsed < bound, $"the read stopped after {watch.Elapsed.TotalMilliseconds:0} ms; bound {bound.TotalMilliseconds:0} ms");
    }

    private static async Task<SqliteConnection> OpenRawAsync(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task<object?> ScalarAsync(string path, string sql)
    {
        await using var connection = await OpenRawAsync(path);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }
}
