using Arbor.Features.Values;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Npgsql;
using NpgsqlTypes;
using Xunit;

namespace Arbor.FeatureStore.Tests.Native;

public sealed class PostgresFeatureStoreTests(PostgresServerFixture postgres) : MigratingFeatureStoreContractTests, IClassFixture<PostgresServerFixture>
{
    private readonly Dictionary<IFeatureStore, string> _locations = [];

    protected override async Task<IFeatureStore> CreateStoreAsync()
    {
        var location = await postgres.CreateSchemaAsync(Ct);
        return Track(new PostgresFeatureStore(location), location);
    }

    protected override IFeatureStore OpenSameStore() => new PostgresFeatureStore(_locations[Store]);

    protected override async Task<IFeatureStore> CreateVersion1StoreAsync(IReadOnlyList<(string Kind, string Id, string Feature, TypedValue Value)> rows)
    {
        var connectionString = await postgres.CreateSchemaAsync(Ct);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            """
            CREATE TABLE arbor_schema (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE feature_values (
              entity_kind text NOT NULL,
              entity_id   text NOT NULL,
              feature     text NOT NULL,
              value_type  smallint NOT NULL CHECK (value_type BETWEEN 1 AND 6),
              value       bytea NOT NULL,
              PRIMARY KEY (entity_kind, entity_id, feature)
            );
            INSERT INTO arbor_schema (key, value) VALUES ('version', '1');
            INSERT INTO feature_values SELECT * FROM unnest(@kinds, @ids, @features, @types, @values);
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string[]>("kinds", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Kind)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Id)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("features", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => r.Feature)] });
        command.Parameters.Add(new NpgsqlParameter<short[]>("types", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { TypedValue = [.. rows.Select(r => (short)r.Value.Kind)] });
        command.Parameters.Add(new NpgsqlParameter<byte[][]>("values", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { TypedValue = [.. rows.Select(r => TypedValueCodec.Encode(r.Value))] });
        await command.ExecuteNonQueryAsync(Ct);
        return Track(new PostgresFeatureStore(connectionString), connectionString);
    }

    protected override async Task<string?> ReadSchemaVersionAsync(IFeatureStore store)
    {
        await using var connection = new NpgsqlConnection(_locations[store]);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT value FROM arbor_schema WHERE key = 'version'", connection);
        return (string?)await command.ExecuteScalarAsync(Ct);
    }

    [Fact]
    public async Task Initialize_ConcurrentRoots_CreateTheSchemaOnce()
    {
        var connectionString = await postgres.CreateSchemaAsync(Ct);
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresFeatureStore(connectionString)).ToList();

        await Task.WhenAll(stores.Select(s => s.InitializeAsync(Ct)));

        Assert.Equal(new FeatureStoreStats(0, 0, 0, 0), await stores[0].GetStatsAsync(Ct));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Write_ConcurrentWritersToOneNewEntity_KeepEveryFeature()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => OpenSameStore()).ToList();

        await Task.WhenAll(stores.Select(async (store, i) =>
        {
            await using var writer = await store.BeginWriteAsync(Ct);
            await writer.WriteAsync([Candidate("c_new", ($"f{i}", i)), Candidate("c_shared", ("n", i))], Ct);
            await writer.CommitAsync(Ct);
        }));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c_new"], FeatureProjection.Of("f0", "f1", "f2", "f3"), Ct);
        Assert.Equal([0L, 1L, 2L, 3L], Enumerable.Range(0, 4).Select(c => table[0, c].AsInt64()));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Read_ServerHung_StopsWhenTheTokenFires_AndReadsAgainOnceItAnswers()
    {
        await WriteAsync(Candidate("c1", ("a", 1)));
        Assert.Equal(1, (await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct))[0, 0].AsInt64());
        var deadline = TimeSpan.FromMilliseconds(300);
        TimeSpan elapsed;
        postgres.Server.Pause();
        try
        {
            using var expiry = new CancellationTokenSource(deadline);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                async () => await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), expiry.Token));
            elapsed = watch.Elapsed;
        }
        finally
        {
            postgres.Server.Resume();
        }

        // Without the token the read would wait for the command timeout (30 s), and Npgsql's own
        // cancellation of a command on a hung server for up to the connection timeout (30 s here).
        var bound = deadline + TimeSpan.FromSeconds(3);
        Assert.True(elapsed < bound, $"the read stopped after {elapsed.TotalMilliseconds:0} ms; bound {bound.TotalMilliseconds:0} ms");
        Assert.Equal(1, (await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct))[0, 0].AsInt64());
    }

    private IFeatureStore Track(IFeatureStore store, string location)
    {
        _locations[store] = location;
        return store;
    }
}
