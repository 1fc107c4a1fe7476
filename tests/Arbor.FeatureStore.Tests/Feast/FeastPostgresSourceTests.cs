using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Sources;
using Arbor.FeatureStore.Tests.Native;
using Arbor.Testing;
using Arbor.Testing.Feast;

namespace Arbor.FeatureStore.Tests.Feast;

/// <summary>
/// Feast's PostgreSQL online store, its tables as Feast creates them, holding the rows (bytes as
/// written by feast_writer.py) of the Feast SQLite sample store.
/// </summary>
public sealed class FeastPostgresSourceTests(FeastSampleStore sample, PostgresServerFixture postgres) : IClassFixture<FeastSampleStore>, IClassFixture<PostgresServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ManualTimeProvider Now { get; } = new(FeastSampleStore.Written + TimeSpan.FromMinutes(5));

    [Fact]
    public async Task Read_SampleData_IsBitIdenticalToTheFeastSqliteStore()
    {
        var connectionString = await CopyToPostgresAsync();
        await using var sqlite = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(ttl: TimeSpan.FromDays(1)), sample.Schema, Now);
        await using var feast = FeastFeatureSource.OpenPostgres(connectionString, sample.Options(ttl: TimeSpan.FromDays(1)), sample.Schema, Now);
        await feast.InitializeAsync(Ct);
        await feast.CheckAsync(Ct);

        Assert.True(FeastTableAssert.Equal(
            await sqlite.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct),
            await feast.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct)) > 1000);
        Assert.True(FeastTableAssert.Equal(
            await sqlite.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct),
            await feast.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct)) > 10_000);
    }

    [Fact]
    public async Task Read_ValuesOlderThanTheViewsTtl_AreMissing()
    {
        var connectionString = await CopyToPostgresAsync();
        await using var feast = FeastFeatureSource.OpenPostgres(connectionString, sample.Options(ttl: TimeSpan.FromHours(1)), sample.Schema, Now);
        string[] ids = [sample.UserIds[1]];

        Assert.True((await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct))[0, 0].HasValue);
        Now.Advance(TimeSpan.FromHours(1));
        Assert.False((await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct))[0, 0].HasValue);
    }

    [Fact]
    public async Task Initialize_MissingTable_NamesTheView()
    {
        var connectionString = await CopyToPostgresAsync();
        await using var feast = FeastFeatureSource.OpenPostgres(connectionString, sample.Options(default, FeastKeyType.String, "user_history"), sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.Contains("'user_history'", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> CopyToPostgresAsync()
    {
        var connectionString = await postgres.CreateSchemaAsync(Ct);
        await FeastPostgresCopy.CopyAsync(sample.FeastDatabase, connectionString, FeastWriter.Project, [FeastWriter.UserView, FeastWriter.CandidateView], Ct);
        return connectionString;
    }
}
