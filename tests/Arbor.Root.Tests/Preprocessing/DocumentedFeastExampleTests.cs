using System.Globalization;
using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Configuration;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Registry;
using Arbor.Testing;
using Arbor.Testing.Feast;
using Microsoft.Data.Sqlite;

namespace Arbor.Root.Tests.Preprocessing;

/// <summary>
/// The "Coming from Feast" worked example of docs/feature-store.md, run: its registry and root
/// config over a Feast SQLite store laid out as its feature views would be materialized.
/// </summary>
public sealed class DocumentedFeastExampleTests : IDisposable
{
    private readonly TempDirectory _directory = new("arbor-feast-doc-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WorkedExample_ReadsEveryFeatureTheWayTheDocsSay()
    {
        var registry = new FeaturePreprocessor(FeatureRegistryJson.Parse(DocumentationExamples.Read("feature-store.md", "feast_registry.json")));
        var config = RootConfigLoader.Parse(DocumentationExamples.Read("feature-store.md", "feast_root.json"));
        var feast = config.FeatureStore.Feast!;
        var database = _directory.Combine(feast.OnlineStore.Path!);
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        var embedding = string.Join(",", Enumerable.Range(0, 64).Select(i => (i / 8.0).ToString(CultureInfo.InvariantCulture)));
        await WriteAsync(database, "ranking_user_stats", FeastEntityKey.TryEncode("user_id", FeastKeyType.String, "u17")!, [
            ("age_days", await FeastWriter.ValueAsync("double_val", "812.25", Ct)),
            ("country", await FeastWriter.ValueAsync("string_val", "\"FR\"", Ct)),
            ("emb", await FeastWriter.ValueAsync("float_list_val", $"[{embedding}]", Ct))]);
        foreach (var (pin, age) in new[] { ("1001", "3.5"), ("1002", "40.0") })
        {
            await WriteAsync(database, "ranking_pin_stats", FeastEntityKey.TryEncode("pin_id", FeastKeyType.Int64, pin)!, [
                ("pin_age_days", await FeastWriter.ValueAsync("float_val", age, Ct)),
                ("pin_category_ids", await FeastWriter.ValueAsync("int64_list_val", $"[{pin}, 7]", Ct))]);
        }

        await using var source = FeastFeatureSource.OpenSqlite(database, FeastConfigValidation.ToOptions(feast), registry);
        await source.InitializeAsync(Ct);
        var user = await source.ReadAsync(EntityKind.User, ["u17"], FeatureProjection.Of(registry.UserFeatures), Ct);
        var pins = await source.ReadAsync(EntityKind.Candidate, ["1001", "1002"], FeatureProjection.Of(registry.CandidateFeatures), Ct);

        Assert.Equal(812.25f, user.Get(0, "user_age_days").AsFloat());
        Assert.Equal("FR", user.Get(0, "user_country_id").AsString());
        Assert.Equal(64, user.Get(0, "user_stats:emb").AsFloatVector().Length);
        Assert.Equal([3.5f, 40f], [pins.Get(0, "pin_stats:pin_age_days").AsFloat(), pins.Get(1, "pin_stats:pin_age_days").AsFloat()]);
        Assert.Equal([1002L, 7L], pins.Get(1, "pin_stats:pin_category_ids").AsInt64List().ToArray());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private static async Task WriteAsync(string database, string table, byte[] key, (string Feature, byte[] Value)[] values)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var create = connection.CreateCommand();
        create.CommandText = $"CREATE TABLE IF NOT EXISTS {table} (entity_key BLOB, feature_name TEXT, value BLOB, vector_value BLOB, event_ts timestamp, created_ts timestamp,  PRIMARY KEY(entity_key, feature_name))";
        await create.ExecuteNonQueryAsync(Ct);
        foreach (var (feature, value) in values)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = $"INSERT INTO {table} (entity_key, feature_name, value, event_ts, created_ts) VALUES ($key, $feature, $value, $ts, $ts)";
            insert.Parameters.AddWithValue("$key", key);
            insert.Parameters.AddWithValue("$feature", feature);
            insert.Parameters.AddWithValue("$value", value);
            insert.Parameters.AddWithValue("$ts", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            await insert.ExecuteNonQueryAsync(Ct);
        }
    }
}
