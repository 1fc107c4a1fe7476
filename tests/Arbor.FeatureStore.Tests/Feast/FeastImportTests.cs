using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.FeatureStore.Tests.Native;
using Arbor.Testing;
using Arbor.Testing.Feast;
using Microsoft.Data.Sqlite;

namespace Arbor.FeatureStore.Tests.Feast;

/// <summary>
/// <c>arbor store import --from feast</c>'s importer: the sample data written by feast_writer.py in
/// Feast's SQLite, PostgreSQL and Redis layouts, copied into native stores, read back against the
/// Feast source itself.
/// </summary>
public sealed class FeastImportTests(FeastSampleStore sample, PostgresServerFixture postgres, FeastRedisSampleStore redis)
    : IClassFixture<FeastSampleStore>, IClassFixture<PostgresServerFixture>, IClassFixture<FeastRedisSampleStore>, IDisposable
{
    private readonly TempDirectory _directory = new("arbor-feast-import-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ManualTimeProvider Now { get; } = new(FeastSampleStore.Written + TimeSpan.FromMinutes(5));

    [Fact]
    public async Task Import_FeastSqlite_ReadsBackBitIdenticalToTheFeastSource()
    {
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(ttl: TimeSpan.FromDays(1)), sample.Schema, Now);
        await using var native = await NativeSqliteAsync();

        // A page size that divides neither view's entity count: many pages, the last one short.
        var result = await FeastFeatureImporter.ImportAsync(feast, native, pageSize: 37, Ct);

        Assert.Equal(await CountRowsAsync(sample.FeastDatabase), result.Values);
        Assert.Equal(await CountRowsAsync(sample.FeastDatabase, "DISTINCT entity_key"), result.Entities);
        Assert.Equal((0, 0), (result.Expired, result.Refused.Count));
        await AssertBitIdenticalAsync(feast, native);
    }

    [Fact]
    public async Task Import_FeastPostgres_IntoNativePostgres_ReadsBackBitIdenticalToTheFeastSource()
    {
        var feastConnection = await postgres.CreateSchemaAsync(Ct);
        await FeastPostgresCopy.CopyAsync(sample.FeastDatabase, feastConnection, FeastWriter.Project, [FeastWriter.UserView, FeastWriter.CandidateView], Ct);
        await using var feast = FeastFeatureSource.OpenPostgres(feastConnection, sample.Options(ttl: TimeSpan.FromDays(1)), sample.Schema, Now);
        await using var native = new PostgresFeatureStore(await postgres.CreateSchemaAsync(Ct));
        await native.InitializeAsync(Ct);

        var result = await FeastFeatureImporter.ImportAsync(feast, native, pageSize: 101, Ct);

        Assert.Equal(await CountRowsAsync(sample.FeastDatabase), result.Values);
        Assert.Equal(await CountRowsAsync(sample.FeastDatabase, "DISTINCT entity_key"), result.Entities);
        Assert.Empty(result.Refused);
        await AssertBitIdenticalAsync(feast, native);
    }

    [Fact]
    public async Task Import_FeastRedis_ReadsBackBitIdenticalToTheFeastSource()
    {
        await using var feast = FeastFeatureSource.OpenRedis(redis.ConnectionString, sample.Options(ttl: TimeSpan.FromDays(1)), sample.Schema, Now);
        await using var native = await NativeSqliteAsync();

        // SCAN walks the keys in its own order: pages of 37 entities, each entity once.
        var result = await FeastFeatureImporter.ImportAsync(feast, native, pageSize: 37, Ct);

        Assert.Equal(await CountRowsAsync(sample.FeastDatabase), result.Values);
        Assert.Equal(await CountRowsAsync(sample.FeastDatabase, "DISTINCT entity_key"), result.Entities);
        Assert.Equal((0, 0), (result.Expired, result.Refused.Count));
        await AssertBitIdenticalAsync(feast, native);
    }

    [Theory]
    [InlineData(499)] // the user view's entity count: a full last page, then an empty one
    [InlineData(500)]
    [InlineData(64)]
    public async Task Export_Pages_GiveEveryEntityOnceAndNoPageIsLargerThanAsked(int pageSize)
    {
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(), sample.Schema, Now);
        var seen = new Dictionary<string, HashSet<string>> { [FeastWriter.UserView] = [], [FeastWriter.CandidateView] = [] };
        var pages = 0;

        await foreach (var page in feast.ExportAsync(pageSize, Ct))
        {
            pages++;
            Assert.InRange(page.Entities.Count, 1, pageSize);
            foreach (var entity in page.Entities)
            {
                Assert.True(seen[page.View].Add(entity.Id), $"{page.View}: {entity.Id} twice");
            }
        }

        Assert.Equal(await CountRowsAsync(sample.FeastDatabase, "DISTINCT entity_key"), seen.Values.Sum(s => s.Count));
        Assert.Subset(sample.UserIds.ToHashSet(), seen[FeastWriter.UserView]);
        Assert.Subset(sample.CandidateIds.ToHashSet(), seen[FeastWriter.CandidateView]);
        Assert.Equal(seen.Sum(v => (v.Value.Count + pageSize - 1) / pageSize), pages);
    }

    [Fact]
    public async Task Import_ValueOlderThanTheViewsTtl_IsNotCopied()
    {
        var database = sample.CopyFeast();
        var user = sample.UserIds[1];
        await FeastSampleStore.ExecuteAsync(database, $"UPDATE {Table(FeastWriter.UserView)} SET event_ts = event_ts - 7200 WHERE entity_key = {KeyLiteral(FeastWriter.UserJoinKey, user)} AND feature_name = 'user_age_days'", Ct);
        await using var feast = FeastFeatureSource.OpenSqlite(database, sample.Options(ttl: TimeSpan.FromHours(1)), sample.Schema, Now);
        await using var native = await NativeSqliteAsync();

        var result = await FeastFeatureImporter.ImportAsync(feast, native, FeastFeatureImporter.DefaultPageSize, Ct);

        Assert.Equal(1, result.Expired);
        Assert.Equal(1, result.Views.Single(v => v.View == FeastWriter.UserView).Expired);
        Assert.Equal(await CountRowsAsync(database) - 1, result.Values);
        var row = await native.ReadAsync(EntityKind.User, [user, sample.UserIds[2]], FeatureProjection.Of("user_age_days"), Ct);
        Assert.False(row[0, 0].HasValue);
        Assert.True(row[1, 0].HasValue);
        await AssertBitIdenticalAsync(feast, native);
    }

    [Fact]
    public async Task Import_CorruptValueAndKeyOfAnotherType_AreCountedNamedAndTheRestIsCopied()
    {
        var database = sample.CopyFeast();
        var user = sample.UserIds[2];
        var table = Table(FeastWriter.UserView);
        await FeastSampleStore.ExecuteAsync(database, $"UPDATE {table} SET value = X'ff' WHERE entity_key = {KeyLiteral(FeastWriter.UserJoinKey, user)} AND feature_name = 'user_age_days'", Ct);
        var int64Key = FeastEntityKey.TryEncode(FeastWriter.UserJoinKey, FeastKeyType.Int64, "17")!;
        await FeastSampleStore.ExecuteAsync(database, $"INSERT INTO {table} (entity_key, feature_name, value, event_ts) SELECT X'{Convert.ToHexString(int64Key)}', feature_name, value, event_ts FROM {table} LIMIT 1", Ct);
        await using var feast = FeastFeatureSource.OpenSqlite(database, sample.Options(), sample.Schema, Now);
        await using var native = await NativeSqliteAsync();

        var result = await FeastFeatureImporter.ImportAsync(feast, native, FeastFeatureImporter.DefaultPageSize, Ct);

        Assert.Equal(2, result.Refused.Count);
        Assert.Contains(new FeastImportRefusal(FeastWriter.UserView, "user_age_days", "corrupt", 1, user), result.Refused);
        var badKey = Assert.Single(result.Refused, r => r.Feature is null);
        Assert.Equal((FeastWriter.UserView, "bad_key", 1L, Convert.ToHexStringLower(int64Key)), (badKey.View, badKey.Problem, badKey.Count, badKey.FirstEntity));
        Assert.Contains("user_stats:user_age_days: corrupt (1, first entity '" + user + "')", FeastFeatureImporter.Describe(result.Refused.Single(r => r.Feature is not null)), StringComparison.Ordinal);
        Assert.Equal((1, 1), (result.RefusedValues, result.RefusedKeys));
        Assert.Equal(await CountRowsAsync(sample.FeastDatabase) - 1, result.Values);
        var row = await native.ReadAsync(EntityKind.User, [user], FeatureProjection.All, Ct);
        Assert.DoesNotContain("user_age_days", row.Features);
        Assert.True(row.ColumnCount > 1);
        await AssertBitIdenticalAsync(feast, native);
    }

    [Fact]
    public async Task Import_NothingReadable_FailsAndWritesNothing()
    {
        var database = sample.CopyFeast();
        await FeastSampleStore.ExecuteAsync(database, $"UPDATE {Table(FeastWriter.UserView)} SET value = X'ff'", Ct);
        await FeastSampleStore.ExecuteAsync(database, $"UPDATE {Table(FeastWriter.CandidateView)} SET value = X'ff'", Ct);
        await using var feast = FeastFeatureSource.OpenSqlite(database, sample.Options(), sample.Schema, Now);
        await using var native = await NativeSqliteAsync();

        var error = await Assert.ThrowsAsync<FeatureImportException>(() => FeastFeatureImporter.ImportAsync(feast, native, FeastFeatureImporter.DefaultPageSize, Ct));

        Assert.Contains("nothing in the Feast store could be read", error.Message, StringComparison.Ordinal);
        var stats = await native.GetStatsAsync(Ct);
        Assert.Equal((0L, 0L), (stats.Users, stats.Candidates));
    }

    [Fact]
    public async Task Import_MissingViewTable_FailsNamingTheView()
    {
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(default, FeastKeyType.String, "user_history"), sample.Schema, Now);
        await using var native = await NativeSqliteAsync();

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => FeastFeatureImporter.ImportAsync(feast, native, FeastFeatureImporter.DefaultPageSize, Ct));

        Assert.Contains("'user_history'", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private static string Table(string view) => $"{FeastWriter.Project}_{view}";

    private static string KeyLiteral(string joinKey, string id) => $"X'{Convert.ToHexString(FeastEntityKey.TryEncode(joinKey, FeastKeyType.String, id)!)}'";

    /// <summary>COUNT(<paramref name="what"/>) of both views' tables, added up.</summary>
    private static async Task<long> CountRowsAsync(string database, string what = "*")
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT (SELECT COUNT({what}) FROM {Table(FeastWriter.UserView)}) + (SELECT COUNT({what}) FROM {Table(FeastWriter.CandidateView)})";
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private async Task<SqliteFeatureStore> NativeSqliteAsync()
    {
        var store = new SqliteFeatureStore(_directory.Combine($"features.{Guid.NewGuid():N}.db"));
        await store.InitializeAsync(Ct);
        return store;
    }

    /// <summary>Every entity and every registry feature: the native store answers what the Feast source answers, bit for bit.</summary>
    private async Task AssertBitIdenticalAsync(FeastFeatureSource feast, IFeatureStore native)
    {
        Assert.True(FeastTableAssert.Equal(
            await feast.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct),
            await native.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct)) > 1000);
        Assert.True(FeastTableAssert.Equal(
            await feast.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct),
            await native.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct)) > 10_000);
    }
}
