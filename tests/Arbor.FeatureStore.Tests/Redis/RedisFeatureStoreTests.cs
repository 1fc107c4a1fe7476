using System.Diagnostics;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Redis;
using Arbor.FeatureStore.Sources;
using Arbor.FeatureStore.Tests.Native;
using Arbor.Testing;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Tests.Redis;

public sealed class RedisFeatureStoreTests(RedisServerFixture redis) : FeatureStoreContractTests, IClassFixture<RedisServerFixture>, IAsyncDisposable
{
    private readonly Dictionary<IFeatureStore, string> _prefixes = [];
    private ConnectionMultiplexer? _raw;

    protected override Task<IFeatureStore> CreateStoreAsync()
    {
        var prefix = redis.NextPrefix();
        var store = new RedisFeatureStore(redis.Server.ConnectionString, prefix);
        _prefixes[store] = prefix;
        return Task.FromResult<IFeatureStore>(store);
    }

    protected override IFeatureStore OpenSameStore() => new RedisFeatureStore(redis.Server.ConnectionString, _prefixes[Store]);

    protected override async Task<string?> ReadSchemaVersionAsync(IFeatureStore store) =>
        (string?)await (await RawAsync()).StringGetAsync(_prefixes[store] + "_schema");

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }
    }

    [Fact]
    public async Task Write_StoresTheSamePackedRowsAsSqlite()
    {
        using var directory = new TempDirectory();
        await using var sqlite = new SqliteFeatureStore(directory.Combine("features.db"));
        await sqlite.InitializeAsync(Ct);
        EntityFeatures[] batch = [Candidate("c1", ("b", 2), ("a", -1)), Candidate("c2", ("z", 26))];
        foreach (var store in (IFeatureStore[])[sqlite, Store])
        {
            await using var writer = await store.BeginWriteAsync(Ct);
            await writer.WriteAsync(batch, Ct);
            await writer.CommitAsync(Ct);
        }

        var stored = (byte[]?)await (await RawAsync()).StringGetAsync(_prefixes[Store] + "candidate:c1");

        Assert.NotNull(stored);
        Assert.Equal(await ReadSqliteRowAsync(sqlite.DatabasePath, "c1"), stored);
    }

    [Fact]
    public async Task Initialize_UnknownSchemaVersion_IsRefused()
    {
        await (await RawAsync()).StringSetAsync(_prefixes[Store] + "_schema", "9");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenSameStore().InitializeAsync(Ct));

        Assert.Contains("'9'", refused.Message, StringComparison.Ordinal);
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
    public async Task Write_CommitOfMoreEntitiesThanOneChunk_WritesThemAll()
    {
        var count = (RedisFeatureWriter.EntitiesPerTransaction * 2) + 7;
        await WriteAsync([.. Enumerable.Range(0, count).Select(i => Candidate($"c{i}", ("a", i)))]);

        var ids = Enumerable.Range(0, count).Select(i => $"c{i}").ToArray();
        var table = await Store.ReadAsync(EntityKind.Candidate, ids, FeatureProjection.Of("a"), Ct);

        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), Enumerable.Range(0, count).Select(r => table[r, 0].AsInt64()));
        Assert.Equal(new FeatureStoreStats(0, 0, count, count), await Store.GetStatsAsync(Ct));
    }

    [Fact]
    public async Task Read_ServerHung_StopsWhenTheTokenFires_AndReadsAgainOnceItAnswers()
    {
        await WriteAsync(Candidate("c1", ("a", 1)));
        Assert.Equal(1, (await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct))[0, 0].AsInt64());
        var deadline = TimeSpan.FromMilliseconds(300);
        TimeSpan elapsed;
        redis.Server.Pause();
        try
        {
            using var expiry = new CancellationTokenSource(deadline);
            var watch = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                async () => await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), expiry.Token));
            elapsed = watch.Elapsed;
        }
        finally
        {
            redis.Server.Resume();
        }

        // Without the token the read would wait for the client's command timeout (5 s).
        var bound = deadline + TimeSpan.FromSeconds(3);
        Assert.True(elapsed < bound, $"the read stopped after {elapsed.TotalMilliseconds:0} ms; bound {bound.TotalMilliseconds:0} ms");
        Assert.Equal(1, (await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct))[0, 0].AsInt64());
    }

    [Fact]
    public void Location_UnreadableConnectionString_FailsWithoutEchoingIt()
    {
        var refused = Assert.Throws<ArgumentException>(() => new RedisFeatureStore("redis://:s3cret@host:notaport"));

        Assert.DoesNotContain("s3cret", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Location_Describe_NeverShowsThePassword()
    {
        var described = RedisLocation.Describe("redis://:s3cret@cache.internal:6380/2");

        Assert.Equal("redis cache.internal:6380/2", described);
    }

    private async Task<IDatabase> RawAsync() => (_raw ??= await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString)).GetDatabase();

    private static async Task<byte[]> ReadSqliteRowAsync(string path, string id)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT features FROM entity_features WHERE entity_kind = 'candidate' AND entity_id = $id";
        command.Parameters.AddWithValue("$id", id);
        return (byte[])(await command.ExecuteScalarAsync(Ct))!;
    }
}
