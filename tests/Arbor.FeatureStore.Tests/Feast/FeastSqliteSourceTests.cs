using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Testing;
using Arbor.Testing.Feast;

namespace Arbor.FeatureStore.Tests.Feast;

public sealed class FeastSqliteSourceTests(FeastSampleStore sample) : IClassFixture<FeastSampleStore>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ManualTimeProvider Now { get; } = new(FeastSampleStore.Written + TimeSpan.FromMinutes(5));

    [Fact]
    public async Task Read_SampleData_IsBitIdenticalToTheNativeStore()
    {
        await using var native = new SqliteFeatureStore(sample.NativeDatabase);
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(), sample.Schema, Now);
        await feast.InitializeAsync(Ct);

        var users = await feast.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct);
        var candidates = await feast.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct);

        Assert.True(FeastTableAssert.Equal(await native.ReadAsync(EntityKind.User, sample.UserIds, sample.UserFeatures, Ct), users) > 1000);
        Assert.True(FeastTableAssert.Equal(await native.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct), candidates) > 10_000);
    }

    [Fact]
    public async Task Read_ABatch_SendsOneQueryPerFeatureViewWhateverItsSize()
    {
        using var counted = new FeastCounters();
        var options = sample.Options() with
        {
            Entities =
            [
                .. sample.Options().Entities.Where(e => e.Kind == EntityKind.User),
                new FeastEntityOptions(EntityKind.Candidate, FeastWriter.CandidateJoinKey, FeastKeyType.String, [new FeastViewOptions(FeastWriter.CandidateView, TimeSpan.Zero), new FeastViewOptions("pin_extra", TimeSpan.Zero)]),
            ],
        };
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, options, sample.Schema, Now, counted.Metrics);

        var table = await feast.ReadAsync(EntityKind.Candidate, sample.CandidateIds, sample.CandidateFeatures, Ct);
        await feast.ReadAsync(EntityKind.User, [.. sample.UserIds.Take(3)], sample.UserFeatures, Ct);

        Assert.True(sample.CandidateIds.Count > 1000);
        Assert.Equal(sample.CandidateIds.Count, table.RowCount);
        Assert.Equal(2, counted.Total("arbor.feast.queries")); // pin_stats once, user_stats once; pin_extra is asked for nothing
    }

    [Fact]
    public async Task Read_DuplicateAndUnknownIds_GiveARowEach()
    {
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(), sample.Schema, Now);
        string[] ids = [sample.UserIds[1], "nobody", sample.UserIds[1]];

        var table = await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct);

        Assert.True(table[0, 0].HasValue);
        Assert.False(table[1, 0].HasValue);
        Assert.Equal(table[0, 0], table[2, 0]);
    }

    [Fact]
    public async Task Read_WithoutAMap_NamesFeaturesViewColonFeature()
    {
        var options = sample.Options() with { Features = new Dictionary<string, FeastFeatureRef>() };
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, options, schema: null, Now);
        await using var native = new SqliteFeatureStore(sample.NativeDatabase);
        string[] ids = [.. sample.UserIds.Take(20)];

        var byReference = await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_stats:user_age_days", "pin_stats:pin_age_days", "user_age_days"), Ct);
        var every = await feast.ReadAsync(EntityKind.User, ids, FeatureProjection.All, Ct);
        var expected = await native.ReadAsync(EntityKind.User, ids, FeatureProjection.Of("user_age_days"), Ct);

        for (var row = 0; row < ids.Length; row++)
        {
            Assert.Equal(expected[row, 0], byReference[row, 0]);
            Assert.False(byReference[row, 1].HasValue); // a candidate view is not read for users
            Assert.False(byReference[row, 2].HasValue); // not a Feast feature reference
            Assert.Equal(expected[row, 0], every.Get(row, "user_stats:user_age_days"));
        }
    }

    [Fact]
    public async Task Read_ValuesOlderThanTheViewsTtl_AreMissingAndCounted()
    {
        var database = sample.CopyFeast();
        var stale = sample.UserIds[1];
        var old = (FeastSampleStore.Written - TimeSpan.FromHours(3)).ToUnixTimeSeconds();
        await FeastSampleStore.ExecuteAsync(database, $"UPDATE arbor_sample_user_stats SET event_ts = {old} WHERE entity_key = X'{Convert.ToHexString(FeastEntityKey.TryEncode("user_id", FeastKeyType.String, stale)!)}'", Ct);
        using var counted = new FeastCounters();
        await using var feast = FeastFeatureSource.OpenSqlite(database, sample.Options(ttl: TimeSpan.FromHours(1)), sample.Schema, Now, counted.Metrics);

        var table = await feast.ReadAsync(EntityKind.User, [stale, sample.UserIds[2]], FeatureProjection.Of("user_age_days", "user_emb_v2"), Ct);

        Assert.False(table[0, 0].HasValue);
        Assert.False(table[0, 1].HasValue);
        Assert.True(table[1, 0].HasValue);
        Assert.Equal(2, counted.Total("arbor.feast.expired_values"));

        // An hour later the fresh entity's values are past the TTL too.
        Now.Advance(TimeSpan.FromHours(1));
        Assert.False((await feast.ReadAsync(EntityKind.User, [sample.UserIds[2]], FeatureProjection.Of("user_age_days"), Ct))[0, 0].HasValue);
    }

    [Fact]
    public async Task Read_CorruptOrUnknownValue_IsMissingForThatFeatureAndCounted()
    {
        var database = sample.CopyFeast();
        var id = sample.UserIds[1];
        var key = Convert.ToHexString(FeastEntityKey.TryEncode("user_id", FeastKeyType.String, id)!);
        using var counted = new FeastCounters();
        await using var feast = FeastFeatureSource.OpenSqlite(database, sample.Options(), sample.Schema, Now, counted.Metrics);
        await feast.InitializeAsync(Ct);
        await FeastSampleStore.ExecuteAsync(database, $"UPDATE arbor_sample_user_stats SET value = X'3500' WHERE entity_key = X'{key}' AND feature_name = 'user_age_days'", Ct);
        await FeastSampleStore.ExecuteAsync(database, $"UPDATE arbor_sample_user_stats SET value = X'a00101' WHERE entity_key = X'{key}' AND feature_name = 'user_emb_v2'", Ct);

        var table = await feast.ReadAsync(EntityKind.User, [id], FeatureProjection.Of("user_age_days", "user_emb_v2", "user_num_pins"), Ct);

        Assert.False(table[0, 0].HasValue);
        Assert.False(table[0, 1].HasValue);
        Assert.True(table[0, 2].HasValue);
        Assert.Equal(1, counted.Count("arbor.feast.bad_values", "user_age_days", "corrupt"));
        Assert.Equal(1, counted.Count("arbor.feast.bad_values", "user_emb_v2", "unknown_type"));
    }

    [Fact]
    public async Task Read_IdThatIsNotAKeyOfTheJoinKeysType_IsMissingAndCounted()
    {
        using var counted = new FeastCounters();
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(userKeyType: FeastKeyType.Int64), schema: null, Now, counted.Metrics);

        var table = await feast.ReadAsync(EntityKind.User, ["u1", "17"], FeatureProjection.Of("user_age_days"), Ct);

        Assert.False(table[0, 0].HasValue);
        Assert.False(table[1, 0].HasValue);
        Assert.Equal(1, counted.Total("arbor.feast.bad_ids"));
    }

    [Fact]
    public async Task Initialize_MissingTable_NamesTheViewAndTable()
    {
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(default, FeastKeyType.String, "user_history"), sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.Contains("'user_history'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'arbor_sample_user_history'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_JoinKeyOfAnotherType_NamesTheViewAndBothTypes()
    {
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, sample.Options(userKeyType: FeastKeyType.Int64), sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.Equal("Feast view 'user_stats': join key 'user_id' holds string values, not the int64 configured for the user.", error.Message);
    }

    [Fact]
    public async Task Initialize_ValueTypeArborDoesNotTake_NamesTheViewAndFeature()
    {
        var database = sample.CopyFeast();
        await FeastSampleStore.ExecuteAsync(database, "UPDATE arbor_sample_pin_stats SET value = X'3801' WHERE feature_name = 'pin_is_video'", Ct);
        await using var feast = FeastFeatureSource.OpenSqlite(database, sample.Options(), sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.Contains("view 'pin_stats', feature 'pin_is_video'", error.Message, StringComparison.Ordinal);
        Assert.Contains("bool_val", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_ValueTheRegistryRefuses_NamesTheFeature()
    {
        var database = sample.CopyFeast();
        await FeastSampleStore.ExecuteAsync(database, "UPDATE arbor_sample_pin_stats SET value = X'12026869' WHERE feature_name = 'pin_age_days'", Ct);
        await using var feast = FeastFeatureSource.OpenSqlite(database, sample.Options(), sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.Contains("feature 'pin_age_days' holds string_val values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_MappedFeatureNotInTheRegistry_IsRefused()
    {
        var options = sample.Options();
        options = options with { Features = new Dictionary<string, FeastFeatureRef>(options.Features) { ["user_typo"] = new("user_stats", "user_typo_feature") } };
        await using var feast = FeastFeatureSource.OpenSqlite(sample.FeastDatabase, options, sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.Equal("Feast feature 'user_stats:user_typo_feature' is mapped to 'user_typo', which is not in the feature registry.", error.Message);
    }

    [Fact]
    public async Task Initialize_NoStoreFile_SaysSoWithoutThePath()
    {
        await using var feast = FeastFeatureSource.OpenSqlite(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.db"), sample.Options(), sample.Schema, Now);

        var error = await Assert.ThrowsAsync<FeastSourceException>(() => feast.InitializeAsync(Ct));

        Assert.DoesNotContain("missing-", error.Message, StringComparison.Ordinal);
    }
}
