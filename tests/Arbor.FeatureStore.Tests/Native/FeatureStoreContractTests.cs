using Arbor.Features.Values;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Xunit;

namespace Arbor.FeatureStore.Tests.Native;

/// <summary>
/// The behaviour every <see cref="IFeatureStore"/> adapter must show; each adapter's test class
/// derives from this one and supplies a fresh, initialised, empty store per test.
/// </summary>
public abstract class FeatureStoreContractTests : IAsyncLifetime
{
    private IFeatureStore? _store;

    protected IFeatureStore Store => _store ?? throw new InvalidOperationException("Store not created.");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.InitializeAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected abstract Task<IFeatureStore> CreateStoreAsync();

    /// <summary>A second store instance over the same database as <see cref="Store"/> (another process, in effect).</summary>
    protected abstract IFeatureStore OpenSameStore();

    [Fact]
    public async Task Read_AfterWrite_ReturnsEveryValueTypeUnchanged()
    {
        var values = new Dictionary<string, TypedValue>
        {
            ["f_float"] = TypedValue.FromFloat(-1.5e-7f),
            ["f_int"] = TypedValue.FromInt64(long.MinValue + 3),
            ["f_vector"] = TypedValue.FromFloatVector([0.1f, float.NaN, -0f, float.MaxValue]),
            ["f_list"] = TypedValue.FromInt64List([3, -77, long.MaxValue]),
            ["f_string"] = TypedValue.FromString("héllo \"wörld\" ✓"),
            ["f_bytes"] = TypedValue.FromBytes([0, 1, 255, 128]),
            ["f_empty_vector"] = TypedValue.FromFloatVector([]),
            ["f_empty_string"] = TypedValue.FromString(""),
        };
        await WriteAsync(new EntityFeatures(EntityKind.User, "u1", [.. values]));

        var table = await Store.ReadAsync(EntityKind.User, ["u1"], FeatureProjection.Of(values.Keys), Ct);

        Assert.Equal(values.Keys, table.Features);
        foreach (var (name, expected) in values)
        {
            Assert.Equal(expected, table.Get(0, name));
        }
    }

    [Fact]
    public async Task Read_Projection_ReturnsOnlyRequestedFeaturesInRequestedOrder()
    {
        await WriteAsync(Candidate("c1", ("a", 1), ("b", 2), ("c", 3)));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("c", "a"), Ct);

        Assert.Equal(["c", "a"], table.Features);
        Assert.Equal(3, table[0, 0].AsInt64());
        Assert.Equal(1, table[0, 1].AsInt64());
    }

    [Fact]
    public async Task Read_UnknownIdsAndFeatures_GiveRowsWithoutValues()
    {
        await WriteAsync(Candidate("c1", ("a", 1)));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["missing", "c1"], FeatureProjection.Of("a", "nope"), Ct);

        Assert.Equal(["missing", "c1"], table.Ids);
        Assert.False(table[0, 0].HasValue);
        Assert.False(table[0, 1].HasValue);
        Assert.Equal(1, table[1, 0].AsInt64());
        Assert.False(table[1, 1].HasValue);
    }

    [Fact]
    public async Task Read_DuplicateIds_FillEveryRowInRequestOrder()
    {
        await WriteAsync(Candidate("c1", ("a", 1)), Candidate("c2", ("a", 2)));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c2", "c1", "c2"], FeatureProjection.Of("a"), Ct);

        Assert.Equal([2L, 1L, 2L], Enumerable.Range(0, 3).Select(r => table[r, 0].AsInt64()));
    }

    [Fact]
    public async Task Read_All_ReturnsEveryFeatureOfEachEntity()
    {
        await WriteAsync(Candidate("c1", ("a", 1), ("b", 2)), Candidate("c2", ("c", 3)));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1", "c2"], FeatureProjection.All, Ct);

        Assert.Equal(["a", "b", "c"], table.Features.Order(StringComparer.Ordinal));
        Assert.Equal(1, table.Get(0, "a").AsInt64());
        Assert.Equal(2, table.Get(0, "b").AsInt64());
        Assert.False(table.Get(0, "c").HasValue);
        Assert.Equal(3, table.Get(1, "c").AsInt64());
    }

    [Fact]
    public async Task Read_SameIdUnderTwoKinds_KeepsValuesApart()
    {
        await WriteAsync(
            new EntityFeatures(EntityKind.User, "x", [new("a", TypedValue.FromInt64(1))]),
            new EntityFeatures(EntityKind.Candidate, "x", [new("a", TypedValue.FromInt64(2))]));

        var users = await Store.ReadAsync(EntityKind.User, ["x"], FeatureProjection.Of("a"), Ct);
        var candidates = await Store.ReadAsync(EntityKind.Candidate, ["x"], FeatureProjection.Of("a"), Ct);

        Assert.Equal(1, users[0, 0].AsInt64());
        Assert.Equal(2, candidates[0, 0].AsInt64());
    }

    [Fact]
    public async Task Read_ThousandsOfIdsWithAwkwardCharacters_ReturnsEachInOneCall()
    {
        var ids = Enumerable.Range(0, 3000).Select(i => i % 3 == 0 ? $"id'\"\\{i}✓" : $"c{i}").ToArray();
        await WriteAsync([.. ids.Select((id, i) => Candidate(id, ("n", i)))]);

        var table = await Store.ReadAsync(EntityKind.Candidate, ids, FeatureProjection.Of("n"), Ct);

        Assert.Equal(Enumerable.Range(0, 3000).Select(i => (long)i), Enumerable.Range(0, 3000).Select(r => table[r, 0].AsInt64()));
    }

    [Fact]
    public async Task Read_NoIds_ReturnsEmptyTable()
    {
        var table = await Store.ReadAsync(EntityKind.User, [], FeatureProjection.Of("a"), Ct);

        Assert.Equal(0, table.RowCount);
        Assert.Equal(1, table.ColumnCount);
    }

    [Fact]
    public async Task Write_ExistingFeature_ReplacesItAndKeepsTheOthers()
    {
        await WriteAsync(Candidate("c1", ("a", 1), ("b", 2)));
        await WriteAsync(new EntityFeatures(EntityKind.Candidate, "c1", [new("a", TypedValue.FromString("now a string"))]));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a", "b"), Ct);

        Assert.Equal("now a string", table[0, 0].AsString());
        Assert.Equal(2, table[0, 1].AsInt64());
    }

    [Fact]
    public async Task Write_ValueWithoutType_DeletesTheFeature()
    {
        await WriteAsync(Candidate("c1", ("a", 1), ("b", 2)));
        await WriteAsync(new EntityFeatures(EntityKind.Candidate, "c1", [new("a", TypedValue.None)]));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.All, Ct);

        Assert.Equal(["b"], table.Features);
    }

    [Fact]
    public async Task Write_SameFeatureTwiceInOneBatch_LastValueWins()
    {
        await WriteAsync(Candidate("c1", ("a", 1)), Candidate("c1", ("a", 9)));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct);

        Assert.Equal(9, table[0, 0].AsInt64());
    }

    [Fact]
    public async Task Write_DisposedWithoutCommit_LeavesNothingBehind()
    {
        await using (var writer = await Store.BeginWriteAsync(Ct))
        {
            await writer.WriteAsync([Candidate("c1", ("a", 1))], Ct);
        }

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct);

        Assert.False(table[0, 0].HasValue);
        Assert.Equal(new FeatureStoreStats(0, 0, 0, 0), await Store.GetStatsAsync(Ct));
    }

    [Fact]
    public async Task Write_EmptyEntityId_IsRejected()
    {
        await using var writer = await Store.BeginWriteAsync(Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteAsync([Candidate("", ("a", 1))], Ct));
    }

    [Fact]
    public async Task Initialize_Twice_KeepsData()
    {
        await WriteAsync(Candidate("c1", ("a", 1)));

        await Store.InitializeAsync(Ct);

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a"), Ct);
        Assert.Equal(1, table[0, 0].AsInt64());
    }

    [Fact]
    public async Task Stats_CountEntitiesAndValuesPerKind()
    {
        await WriteAsync(
            new EntityFeatures(EntityKind.User, "u1", [new("a", TypedValue.FromInt64(1)), new("b", TypedValue.FromInt64(1))]),
            Candidate("c1", ("a", 1)),
            Candidate("c2", ("a", 1), ("b", 2), ("c", 3)));

        var stats = await Store.GetStatsAsync(Ct);

        Assert.Equal(new FeatureStoreStats(Users: 1, UserValues: 2, Candidates: 2, CandidateValues: 4), stats);
    }

    [Fact]
    public async Task Write_SameEntityInTwoBatchesOfOneTransaction_KeepsBoth()
    {
        await using (var writer = await Store.BeginWriteAsync(Ct))
        {
            await writer.WriteAsync([Candidate("c1", ("a", 1))], Ct);
            await writer.WriteAsync([Candidate("c1", ("b", 2))], Ct);
            await writer.CommitAsync(Ct);
        }

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a", "b"), Ct);

        Assert.Equal(1, table[0, 0].AsInt64());
        Assert.Equal(2, table[0, 1].AsInt64());
    }

    [Fact]
    public async Task Write_DeletingEveryFeature_RemovesTheEntity()
    {
        await WriteAsync(Candidate("c1", ("a", 1)), Candidate("c2", ("a", 2)));
        await WriteAsync(new EntityFeatures(EntityKind.Candidate, "c1", [new("a", TypedValue.None)]));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1", "c2"], FeatureProjection.All, Ct);

        Assert.False(table.Get(0, "a").HasValue);
        Assert.Equal(2, table.Get(1, "a").AsInt64());
        Assert.Equal(new FeatureStoreStats(0, 0, 1, 1), await Store.GetStatsAsync(Ct));
    }

    [Fact]
    public async Task Write_DeletingAFeatureNeverStored_ChangesNothing()
    {
        await WriteAsync(Candidate("c1", ("a", 1)));

        await WriteAsync(
            new EntityFeatures(EntityKind.Candidate, "c1", [new("never_stored", TypedValue.None)]),
            new EntityFeatures(EntityKind.Candidate, "c_new", [new("a", TypedValue.None)]));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1", "c_new"], FeatureProjection.All, Ct);
        Assert.Equal(["a"], table.Features);
        Assert.Equal(1, table.Get(0, "a").AsInt64());
        Assert.False(table.Get(1, "a").HasValue);
        Assert.Equal(new FeatureStoreStats(0, 0, 1, 1), await Store.GetStatsAsync(Ct));
    }

    [Fact]
    public async Task Write_SetAndDeleteInOneBatch_AppliesTheLastForEachFeature()
    {
        await WriteAsync(Candidate("c1", ("a", 1), ("b", 2), ("c", 3)));

        await WriteAsync(
            new EntityFeatures(EntityKind.Candidate, "c1", [new("a", TypedValue.None), new("d", TypedValue.FromFloat(4f))]),
            new EntityFeatures(EntityKind.Candidate, "c1", [new("c", TypedValue.FromInt64(30)), new("d", TypedValue.None), new("a", TypedValue.FromInt64(10))]));

        var table = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.All, Ct);
        Assert.Equal(["a", "b", "c"], table.Features.Order(StringComparer.Ordinal));
        Assert.Equal(10, table.Get(0, "a").AsInt64());
        Assert.Equal(2, table.Get(0, "b").AsInt64());
        Assert.Equal(30, table.Get(0, "c").AsInt64());
    }

    [Fact]
    public async Task Read_FeatureAddedThroughAnotherStoreInstance_IsFound()
    {
        await WriteAsync(Candidate("c1", ("a", 1)));
        _ = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a", "b"), Ct);
        await using (var other = OpenSameStore())
        await using (var writer = await other.BeginWriteAsync(Ct))
        {
            await writer.WriteAsync([Candidate("c1", ("b", 2)), Candidate("c2", ("z", 26))], Ct);
            await writer.CommitAsync(Ct);
        }

        var projected = await Store.ReadAsync(EntityKind.Candidate, ["c1"], FeatureProjection.Of("a", "b"), Ct);
        var all = await Store.ReadAsync(EntityKind.Candidate, ["c2"], FeatureProjection.All, Ct);

        Assert.Equal(1, projected[0, 0].AsInt64());
        Assert.Equal(2, projected[0, 1].AsInt64());
        Assert.Equal(26, all.Get(0, "z").AsInt64());
    }

    [Fact]
    public async Task Write_ManyEntitiesAndFeatures_ReadBackExactly()
    {
        var random = new Random(7);
        var expected = new Dictionary<string, Dictionary<string, TypedValue>>();
        for (var round = 0; round < 3; round++)
        {
            var batch = new List<EntityFeatures>();
            for (var e = 0; e < 40; e++)
            {
                var id = $"c{random.Next(60)}";
                var stored = expected.TryGetValue(id, out var s) ? s : expected[id] = [];
                var features = new List<KeyValuePair<string, TypedValue>>();
                for (var f = 0; f < 12; f++)
                {
                    var name = $"f{random.Next(30)}";
                    var value = random.Next(4) switch
                    {
                        0 => TypedValue.None,
                        1 => TypedValue.FromFloat(random.NextSingle()),
                        2 => TypedValue.FromString(new string('x', random.Next(300))),
                        _ => TypedValue.FromInt64List([.. Enumerable.Range(0, random.Next(20)).Select(i => (long)i)]),
                    };
                    features.Add(new(name, value));
                    if (value.HasValue)
                    {
                        stored[name] = value;
                    }
                    else
                    {
                        stored.Remove(name);
                    }
                }

                batch.Add(new EntityFeatures(EntityKind.Candidate, id, features));
            }

            await WriteAsync([.. batch]);
        }

        var ids = expected.Keys.ToArray();
        var names = Enumerable.Range(0, 30).Select(f => $"f{f}").ToArray();
        var table = await Store.ReadAsync(EntityKind.Candidate, ids, FeatureProjection.Of(names), Ct);

        for (var r = 0; r < ids.Length; r++)
        {
            for (var c = 0; c < names.Length; c++)
            {
                Assert.Equal(expected[ids[r]].GetValueOrDefault(names[c]), table[r, c]);
            }
        }

        var stats = await Store.GetStatsAsync(Ct);
        Assert.Equal(expected.Count(e => e.Value.Count > 0), stats.Candidates);
        Assert.Equal(expected.Sum(e => e.Value.Count), stats.CandidateValues);
    }

    [Fact]
    public async Task Initialize_RecordsTheSchemaVersion()
    {
        Assert.Equal(FeatureStoreSchema.Version, await ReadSchemaVersionAsync(Store));
    }

    /// <summary>The value of the <c>version</c> key in <c>arbor_schema</c> of <paramref name="store"/>'s database.</summary>
    protected abstract Task<string?> ReadSchemaVersionAsync(IFeatureStore store);

    [Fact]
    public async Task Read_CancelledToken_Throws()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await Store.ReadAsync(EntityKind.User, ["u1"], FeatureProjection.Of("a"), cancelled.Token));
    }

    protected static EntityFeatures Candidate(string id, params (string Name, long Value)[] features) =>
        new(EntityKind.Candidate, id, [.. features.Select(f => new KeyValuePair<string, TypedValue>(f.Name, TypedValue.FromInt64(f.Value)))]);

    protected async Task WriteAsync(params EntityFeatures[] entities)
    {
        await using var writer = await Store.BeginWriteAsync(Ct);
        await writer.WriteAsync(entities, Ct);
        await writer.CommitAsync(Ct);
    }
}
