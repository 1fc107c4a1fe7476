using System.Diagnostics;
using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Store;
using Arbor.Rpc.Server;
using Arbor.Testing;
using Arbor.Testing.Feast;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Tests.Feast;

/// <summary>Feast's Redis online store, written by feast_writer.py in Feast's layout, holding the same data as the Feast SQLite sample store.</summary>
public sealed class FeastRedisSourceTests(FeastSampleStore sample, FeastRedisSampleStore redis) : IClassFixture<FeastSampleStore>, IClassFixture<FeastRedisSampleStore>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ManualTimeProvider Now { get; } = new(FeastSampleStore.Written + TimeSpan.FromMinutes(5));

    [Fact]
    public async Task Read_SampleData_IsBitIdenticalToTheNativeAndFeastSqliteStores()
    {
        await using var native = new SqliteFeatureStore(sample.NativeDatabase);
        await using var sqlite = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(ttl: TimeSpan.FromDays(1)), sample.Schema, Now);
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, sample.Options(ttl: TimeSpan.FromDays(1)), sample.Schema, Now);
        await feast.InitializeAsync(Ct);
        await feast.CheckAsync(Ct);

        var users = await feast.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct);
        var candidates = await feast.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct);

        Assert.True(FeastTableAssert.Equal(await native.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct), users) > 1000);
        Assert.True(FeastTableAssert.Equal(await native.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct), candidates) > 10_000);
        FeastTableAssert.Equal(await sqlite.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct), users);
        FeastTableAssert.Equal(await sqlite.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct), candidates);
    }

    [Fact]
    public async Task Read_ABatch_SendsOneHmgetPerEntity()
    {
        using var counted = new FeastCounters();
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, sample.Options(), sample.Schema, Now, counted.Metrics);
        string[] ids = [.. sample.UserIds.Take(50), sample.UserIds[0], "nobody"];
        await feast.CheckAsync(Ct);
        var before = await HmgetCallsAsync();

        var table = await feast.ReadAsync(EntityKind.User, ids, sample.UserFeatures, Ct);

        Assert.Equal(ids.Length, table.RowCount);
        Assert.Equal(51, counted.Total("arbor.feast.redis_commands")); // 50 users and "nobody"; the duplicate is asked once
        Assert.Equal(51, await HmgetCallsAsync() - before);
    }

    [Fact]
    public async Task Read_WithoutAMap_NamesFeaturesViewColonFeature()
    {
        var options = sample.Options() with { Features = new Dictionary<string, FeastFeatureRef>() };
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, options, schema: null, Now);
        await using var native = new SqliteFeatureStore(sample.NativeDatabase);
        string[] ids = [.. sample.UserIds.Take(20)];

        var byReference = await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_stats:user_age_days", "pin_stats:pin_age_days", "user_age_days"), Ct);
        var expected = await native.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct);

        for (var row = 0; row < ids.Length; row++)
        {
            Assert.Equal(expected[row, 0], byReference[row, 0]);
            Assert.False(byReference[row, 1].HasValue); // a candidate view is not read for users
            Assert.False(byReference[row, 2].HasValue); // not a Feast feature reference
        }
    }

    [Fact]
    public async Task Read_ValuesOlderThanTheViewsTtl_AreMissingAndCounted()
    {
        var (connectionString, database) = await redis.CopyAsync(Ct);
        var stale = sample.UserIds[1];
        var old = new Google.Protobuf.WellKnownTypes.Timestamp { Seconds = (FeastSampleStore.Written - TimeSpan.FromHours(3)).ToUnixTimeSeconds() };
        await database.HashSetAsync(FeastRedisSampleStore.UserKey(stale), "_ts:user_stats", Google.Protobuf.MessageExtensions.ToByteArray(old));
        using var counted = new FeastCounters();
        await using var feast = FeastFeatureSource.OpenRedis(connectionString, sample.Options(ttl: TimeSpan.FromHours(1)), sample.Schema, Now, counted.Metrics);

        var table = await feast.ReadAsync(EntityKind.User, [stale, sample.UserIds[2]], FeatureProjection.Of("user_age_days", "user_emb_v2"), Ct);

        Assert.False(table[0, 0].HasValue);
        Assert.False(table[0, 1].HasValue);
        Assert.True(table[1, 0].HasValue);
        Assert.Equal(2, counted.Total("arbor.feast.expired_values"));

        Now.Advance(TimeSpan.FromHours(1));
        Assert.False((await feast.ReadAsync(EntityKind.User, [sample.UserIds[2]], FeatureProjection.Of("user_age_days"), Ct))[0, 0].HasValue);
    }

    [Fact]
    public async Task Read_CorruptOrUnknownValueOrEventTime_IsMissingForThatFeatureAndCounted()
    {
        var (connectionString, database) = await redis.CopyAsync(Ct);
        var id = sample.UserIds[1];
        var other = sample.UserIds[2];
        using var counted = new FeastCounters();
        await using var feast = FeastFeatureSource.OpenRedis(connectionString, sample.Options(ttl: TimeSpan.FromDays(1)), sample.Schema, Now, counted.Metrics);
        await feast.InitializeAsync(Ct);
        await database.HashSetAsync(FeastRedisSampleStore.UserKey(id), FeastRedisLayout.Field("user_stats", "user_age_days"), new byte[] { 0x35, 0x00 });
        await database.HashSetAsync(FeastRedisSampleStore.UserKey(id), FeastRedisLayout.Field("user_stats", "user_emb_v2"), new byte[] { 0xa0, 0x01, 0x01 });
        await database.HashSetAsync(FeastRedisSampleStore.UserKey(other), "_ts:user_stats", new byte[] { 0x08 });

        var table = await feast.ReadAsync(EntityKind.User, [id, other], FeatureProjection.Of("user_age_days", "user_emb_v2", "user_num_pins"), Ct);

        Assert.False(table[0, 0].HasValue);
        Assert.False(table[0, 1].HasValue);
        Assert.True(table[0, 2].HasValue);
        Assert.False(table[1, 0].HasValue || table[1, 1].HasValue || table[1, 2].HasValue);
        Assert.Equal(1, counted.Count("arbor.feast.bad_values", "user_age_days", "corrupt"));
        Assert.Equal(1, counted.Count("arbor.feast.bad_values", "user_emb_v2", "unknown_type"));
        Assert.Equal(1, counted.Count("arbor.feast.bad_values", "_ts", "corrupt"));
    }

    [Fact]
    public async Task Read_ViewNoHashHolds_IsMissingAndCountedPerEntity()
    {
        using var counted = new FeastCounters();
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, sample.Options(default, FeastKeyType.String, "user_history"), schema: null, Now, counted.Metrics);

        var table = await feast.ReadAsync(EntityKind.User, [sample.UserIds[1], sample.UserIds[2], "nobody"], FeatureProjection.Of("user_age_days", "user_history:clicks_7d"), Ct);

        Assert.True(table[0, 0].HasValue);
        Assert.False(table[0, 1].HasValue);
        Assert.False(table[2, 0].HasValue);
        Assert.Equal(2, counted.CountTagged("arbor.feast.absent_views", "view", "user_history")); // not "nobody": no hash at all
    }

    [Fact]
    public async Task Read_IdThatIsNotAKeyOfTheJoinKeysType_IsMissingAndCounted()
    {
        using var counted = new FeastCounters();
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, sample.Options(userKeyType: FeastKeyType.Int64), schema: null, Now, counted.Metrics);

        var table = await feast.ReadAsync(EntityKind.User, ["u1", "17"], FeatureProjection.Of("user_age_days"), Ct);

        Assert.False(table[0, 0].HasValue);
        Assert.False(table[1, 0].HasValue);
        Assert.Equal(1, counted.Total("arbor.feast.bad_ids"));
    }

    [Fact]
    public async Task Read_ServerHung_StopsWhenTheTokenFires_AndReadsAgainOnceItAnswers()
    {
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, sample.Options(), sample.Schema, Now);
        string[] ids = [sample.UserIds[1]];
        Assert.True((await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct))[0, 0].HasValue);
        var deadline = TimeSpan.FromMilliseconds(300);
        TimeSpan elapsed;
        redis.Server.Pause();
        try
        {
            using var expiry = new CancellationTokenSource(deadline);
            var watch = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                async () => await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), expiry.Token));
            elapsed = watch.Elapsed;
        }
        finally
        {
            redis.Server.Resume();
        }

        // Without the token the read would wait for the client's own timeout (5 s).
        var bound = deadline + TimeSpan.FromSeconds(3);
        Assert.True(elapsed < bound, $"the read stopped after {elapsed.TotalMilliseconds:0} ms; bound {bound.TotalMilliseconds:0} ms");
        Assert.True((await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct))[0, 0].HasValue);
    }

    [Fact]
    public async Task Read_ServerDown_FailsWithTheDriversErrorAtOnce_AndReadsAgainOnceItIsBack()
    {
        using var server = new LocalRedisServer();
        await using var feast = FeastFeatureSource.OpenRedis(server.ConnectionString, sample.Options(), sample.Schema, Now);
        await feast.InitializeAsync(Ct);
        string[] ids = [sample.UserIds[1]];
        Assert.False((await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct))[0, 0].HasValue);

        server.Stop();
        var watch = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAnyAsync<RedisException>(async () => await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"the read failed after {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.IsNotType<RedisTimeoutException>(failure);
        await Assert.ThrowsAnyAsync<RedisException>(() => feast.CheckAsync(Ct));

        server.Start();
        await Eventually.WaitUntilAsync(
            async () =>
            {
                try
                {
                    await feast.CheckAsync(Ct);
                    return true;
                }
                catch (RedisException)
                {
                    return false;
                }
            },
            "the source reconnects",
            TimeSpan.FromSeconds(30),
            Ct);
        Assert.False((await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct))[0, 0].HasValue);
    }

    [Fact]
    public async Task Initialize_JoinKeyOfAnotherType_NamesTheViewAndBothTypes()
    {
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, sample.Options(userKeyType: FeastKeyType.Int64), sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.Equal("Feast view 'user_stats': join key 'user_id' holds string values, not the int64 configured for the user.", error.Message);
    }

    [Fact]
    public async Task Initialize_ValueTypeArborDoesNotTake_NamesTheViewAndFeature()
    {
        var (connectionString, database) = await redis.CopyAsync(Ct);
        var field = FeastRedisLayout.Field("pin_stats", "pin_is_video");
        var batch = database.CreateBatch();
        var writes = sample.CandidateIds.Select(id => batch.HashSetAsync(
            FeastRedisLayout.Key(FeastEntityKey.TryEncode(FeastWriter.CandidateJoinKey, FeastKeyType.String, id)!, FeastWriter.Project), field, new byte[] { 0x38, 0x01 })).ToArray();
        batch.Execute();
        await Task.WhenAll(writes);
        await using var feast = FeastFeatureSource.OpenRedis(connectionString, sample.Options(), sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.Contains("view 'pin_stats', feature 'pin_is_video'", error.Message, StringComparison.Ordinal);
        Assert.Contains("bool_val", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_ViewNoHashHolds_StartsAnyway()
    {
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, sample.Options(default, FeastKeyType.String, "user_history"), sample.Schema, Now);

        await feast.InitializeAsync(Ct);
    }

    [Fact]
    public void Open_ConnectionStringTheDriverRefuses_SaysSoWithoutQuotingIt()
    {
        var error = Assert.Throws<FeastSourceException>(() => FeastFeatureSource.OpenRedis("127.0.0.1:6379,password=hunter2,connectTimeout=soon", sample.Options(), sample.Schema, Now));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("soon", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_NothingListening_FailsWithTheDriversError()
    {
        await using var feast = FeastFeatureSource.OpenRedis($"127.0.0.1:{LoopbackPorts.Next()},password=hunter2,connectTimeout=2000", sample.Options(), sample.Schema, Now);

        var error = await Assert.ThrowsAnyAsync<RedisException>(() => feast.InitializeAsync(Ct));

        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
    }

    private async Task<long> HmgetCallsAsync()
    {
        var info = await redis.Client.GetServers()[0].InfoAsync("commandstats");
        var stat = info.SelectMany(g => g).SingleOrDefault(p => p.Key == "cmdstat_hmget").Value;
        return stat is null ? 0 : long.Parse(stat.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
