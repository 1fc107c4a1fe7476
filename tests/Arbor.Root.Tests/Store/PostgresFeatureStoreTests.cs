using Arbor.Root.Store;
using Xunit;

namespace Arbor.Root.Tests.Store;

public sealed class PostgresFeatureStoreTests(PostgresServerFixture postgres) : FeatureStoreContractTests, IClassFixture<PostgresServerFixture>
{
    protected override async Task<IFeatureStore> CreateStoreAsync() =>
        new PostgresFeatureStore(await postgres.CreateSchemaAsync(Ct));

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
}
