using Arbor.FeatureStore.Feast;
using Arbor.Root.Tests.Hosting;

namespace Arbor.Root.Tests.Health;

public sealed class FeastStartupTests
{
    [Fact]
    public async Task FeastStoreWithoutTheConfiguredView_FailsTheStartNamingTheViewAndTable()
    {
        // features.db is an Arbor store: it has none of Feast's tables.
        var error = await Assert.ThrowsAsync<FeastSourceException>(() => RootTestCluster.StartAsync(editConfig: c => c.Replace(
            "{ \"kind\": \"sqlite\", \"path\": \"features.db\" }",
            """
            { "kind": "feast", "feast": { "project": "ranking", "online_store": { "type": "sqlite", "path": "features.db" },
              "entities": { "user": { "join_key": "user_id", "views": [ { "name": "user_stats" } ] } } } }
            """,
            StringComparison.Ordinal)));

        Assert.Equal("Feast view 'user_stats' (user): the online store has no table 'ranking_user_stats' (was `feast apply` run for project 'ranking'?).", error.Message);
    }
}
