using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Configuration;

namespace Arbor.Root.Tests.Configuration;

public sealed class FeastConfigTests
{
    private const string Feast = """
        "feature_store": {
          "kind": "feast",
          "feast": {
            "project": "ranking",
            "online_store": { "type": "sqlite", "path": "feature_repo/data/online_store.db" },
            "entities": {
              "user": { "join_key": "user_id", "views": [ { "name": "user_stats", "ttl_seconds": 86400 } ] },
              "candidate": { "join_key": "pin_id", "key_type": "int64", "views": [ { "name": "pin_stats" }, { "name": "pin_embeddings", "ttl_seconds": 3600 } ] }
            },
            "features": { "user_age_days": "user_stats:age_days" }
          }
        },
        """;

    [Fact]
    public void Parse_FeastStore_GivesTheSourcesOptions()
    {
        var config = RootConfigLoader.Parse(WithStore(Feast));

        var options = FeastConfigValidation.ToOptions(config.FeatureStore.Feast!);

        Assert.Equal("ranking", options.Project);
        var user = options.Entities.Single(e => e.Kind == EntityKind.User);
        Assert.Equal(("user_id", FeastKeyType.String), (user.JoinKey, user.KeyType));
        Assert.Equal([new FeastViewOptions("user_stats", TimeSpan.FromDays(1))], user.Views);
        var candidate = options.Entities.Single(e => e.Kind == EntityKind.Candidate);
        Assert.Equal(FeastKeyType.Int64, candidate.KeyType);
        Assert.Equal([new FeastViewOptions("pin_stats", TimeSpan.Zero), new FeastViewOptions("pin_embeddings", TimeSpan.FromHours(1))], candidate.Views);
        Assert.Equal(new FeastFeatureRef("user_stats", "age_days"), options.Features["user_age_days"]);
    }

    [Fact]
    public void Parse_FeastMistakes_ReportsEachWithItsPath()
    {
        var json = WithStore("""
            "feature_store": {
              "kind": "feast",
              "feast": {
                "online_store": { "type": "dynamodb" },
                "entities": {
                  "user": { "join_key": "", "key_type": "uuid", "views": [ { "name": "user_stats", "ttl_seconds": -1 } ] },
                  "candidate": { "join_key": "pin_id", "views": [ { "name": "user_stats" } ] },
                  "context": { "join_key": "device", "views": [ { "name": "devices" } ] }
                },
                "features": { "a": "no_colon", "b": "elsewhere:b" }
              }
            },
            """);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json));

        string[] paths =
        [
            "$.feature_store.feast.project",
            "$.feature_store.feast.online_store.type",
            "$.feature_store.feast.entities.user.join_key",
            "$.feature_store.feast.entities.user.key_type",
            "$.feature_store.feast.entities.user.views[0].ttl_seconds",
            "$.feature_store.feast.entities.candidate.views[0].name",
            "$.feature_store.feast.entities.context",
            "$.feature_store.feast.features.a",
            "$.feature_store.feast.features.b",
        ];
        foreach (var path in paths)
        {
            Assert.Contains(error.Problems, p => p.StartsWith(path + ":", StringComparison.Ordinal));
        }

        Assert.Equal(paths.Length, error.Problems.Count);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("redis")]
    public void Parse_StoreReachedByConnectionString_WithoutOne_IsRefused(string type)
    {
        var json = WithStore(Feast.Replace(
            """{ "type": "sqlite", "path": "feature_repo/data/online_store.db" }""", $$"""{ "type": "{{type}}" }""", StringComparison.Ordinal));

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json));

        Assert.Equal([$"$.feature_store.feast.online_store.connection_string: required for {type}"], error.Problems);
    }

    [Fact]
    public void Parse_FeastRedis_TakesTheConnectionStringAsASecret()
    {
        var json = WithStore(Feast.Replace(
            """{ "type": "sqlite", "path": "feature_repo/data/online_store.db" }""", """{ "type": "redis", "connection_string": { "env": "FEAST_REDIS" } }""", StringComparison.Ordinal));

        var config = RootConfigLoader.Parse(json);

        Assert.Equal("redis", config.FeatureStore.Feast!.OnlineStore.Type);
        Assert.NotNull(config.FeatureStore.Feast.OnlineStore.ConnectionString);
    }

    [Fact]
    public void Parse_FeastWithoutItsSection_IsRefused()
    {
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(WithStore("""  "feature_store": { "kind": "feast" },""")));

        Assert.Contains("$.feature_store.feast: required for feast", error.Problems);
    }

    private static string WithStore(string store) => RootConfigLoaderTests.ValidConfig.Replace(
        """  "feature_store": { "kind": "sqlite", "path": "features.db" },""", store, StringComparison.Ordinal);
}
