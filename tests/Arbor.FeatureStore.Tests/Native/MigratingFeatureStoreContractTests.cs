using Arbor.Features.Values;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Xunit;

namespace Arbor.FeatureStore.Tests.Native;

/// <summary>
/// The contract of the adapters that once held the version 1 layout (one row per value) and
/// migrate it: SQLite and PostgreSQL.
/// </summary>
public abstract class MigratingFeatureStoreContractTests : FeatureStoreContractTests
{
    /// <summary>
    /// A store (not initialised) at a fresh location holding a schema version 1 database: one row per
    /// (kind, id, feature) with a type code and a <see cref="TypedValueCodec"/> payload.
    /// </summary>
    protected abstract Task<IFeatureStore> CreateVersion1StoreAsync(IReadOnlyList<(string Kind, string Id, string Feature, TypedValue Value)> rows);

    [Fact]
    public async Task Initialize_Version1Store_MigratesEveryValueAndRecordsTheNewVersion()
    {
        // More rows than one migration page, so that an entity is split across two pages.
        var rows = new List<(string Kind, string Id, string Feature, TypedValue Value)>
        {
            ("user", "u1", "f_vector", TypedValue.FromFloatVector([0.5f, float.NaN])),
            ("user", "u1", "f_string", TypedValue.FromString("héllo")),
            ("candidate", "u1", "f_bytes", TypedValue.FromBytes([1, 2, 3])),
        };
        for (var e = 0; e < 101; e++)
        {
            for (var f = 0; f < 100; f++)
            {
                rows.Add(("candidate", $"c{e:D3}", $"f{f:D2}", TypedValue.FromInt64((e * 1000) + f)));
            }
        }

        await using var store = await CreateVersion1StoreAsync(rows);

        await store.InitializeAsync(Ct);

        var user = await store.ReadAsync(EntityKind.User, ["u1"], FeatureProjection.All, Ct);
        Assert.Equal(TypedValue.FromFloatVector([0.5f, float.NaN]), user.Get(0, "f_vector"));
        Assert.Equal("héllo", user.Get(0, "f_string").AsString());
        var candidates = await store.ReadAsync(EntityKind.Candidate, ["c100", "c000", "u1"], FeatureProjection.Of("f99", "f00", "f_bytes"), Ct);
        Assert.Equal(100_099, candidates[0, 0].AsInt64());
        Assert.Equal(100_000, candidates[0, 1].AsInt64());
        Assert.Equal(99, candidates[1, 0].AsInt64());
        Assert.Equal([1, 2, 3], candidates[2, 2].AsBytes().ToArray());
        Assert.Equal(new FeatureStoreStats(1, 2, 102, 10_101), await store.GetStatsAsync(Ct));
        Assert.Equal(FeatureStoreSchema.Version, await ReadSchemaVersionAsync(store));
    }

    [Fact]
    public async Task Initialize_Version1Store_CanBeWrittenAfterwardsAndInitialisedAgain()
    {
        await using var store = await CreateVersion1StoreAsync([("candidate", "c1", "a", TypedValue.FromInt64(1))]);
        await store.InitializeAsync(Ct);

        await using (var writer = await store.BeginWriteAsync(Ct))
        {
            await writer.WriteAsync([Candidate("c1", ("b", 2))], Ct);
            await writer.CommitAsync(Ct);
        }

        await store.InitializeAsync(Ct);
        var table = await store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a", "b"), Ct);
        Assert.Equal(1, table[0, 0].AsInt64());
        Assert.Equal(2, table[0, 1].AsInt64());
    }
}
