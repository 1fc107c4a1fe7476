using Arbor.Contracts.V1;
using Arbor.Leaf.Checking;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Tests.Checking;

public sealed class CheckColumnsTests
{
    private static readonly ModuleInfo Signature = ModuleInfoParser.Parse("""
        {"schema": "arbor.module_info/v1", "model": "m", "version": "1",
         "inputs": [{"name": "dense", "kind": "dense", "dtype": "float32", "features": ["a", "n"]},
                    {"name": "ids", "kind": "id_list", "dtype": "int64", "features": ["ids"], "max_length": 5},
                    {"name": "hashed", "kind": "id_list", "dtype": "int64", "features": ["hashed"], "max_length": 3},
                    {"name": "free", "kind": "id_list", "dtype": "int64", "features": ["free"], "max_length": 3}],
         "outputs": [{"name": "p"}]}
        """);

    private static readonly FeatureRegistry Registry = FeatureRegistryJson.Parse("""
        {"schema": "arbor.feature_registry/v1", "features": [
          {"name": "a", "type": "float", "entity": "candidate"},
          {"name": "n", "type": "int64", "entity": "candidate"},
          {"name": "ids", "type": "int64_list", "entity": "user", "min": 100, "max": 107},
          {"name": "hashed", "type": "int64_list", "entity": "user", "transforms": [{"kind": "hash_to_id", "buckets": 10}]},
          {"name": "free", "type": "int64_list", "entity": "user"}]}
        """);

    [Theory]
    [InlineData("ids", 100L, 107L)]
    [InlineData("hashed", 0L, 9L)]
    [InlineData("free", 0L, 999L)]
    public void Build_IdLists_StayInTheRegistryRangeAndReachBothEnds(string feature, long min, long max)
    {
        var column = CheckColumns.Build(Signature, Registry, 17).Single(c => c.Name == feature);

        var ids = column.Int64Lists.Values;
        Assert.All(ids, id => Assert.InRange(id, min, max));
        Assert.Contains(min, ids);
        Assert.Contains(max, ids);
    }

    [Fact]
    public void Build_IdLists_RunFromEmptyToLongerThanMaxLength()
    {
        var lengths = CheckColumns.Build(Signature, Registry, 17).Single(c => c.Name == "ids").Int64Lists.Lengths;

        Assert.Equal(17, lengths.Count);
        Assert.Contains(0u, lengths);
        Assert.Contains(lengths, l => l > 5);
    }

    [Fact]
    public void Build_SeventeenRows_SomeRowsLackEveryFeatureAndInt64FeaturesArriveAsInt64s()
    {
        var columns = CheckColumns.Build(Signature, Registry, 17);

        Assert.All(columns, c => Assert.True(c.Missing.Length == 3 && (c.Missing[0] & (1 << 3)) != 0, $"{c.Name}: row 3 should be missing"));
        Assert.Equal(FeatureColumn.ValuesOneofCase.Int64S, columns.Single(c => c.Name == "n").ValuesCase);
        Assert.Equal(FeatureColumn.ValuesOneofCase.Floats, columns.Single(c => c.Name == "a").ValuesCase);
    }

    [Fact]
    public void Build_SameInputs_SameColumns()
    {
        Assert.Equal(CheckColumns.Build(Signature, Registry, 17), CheckColumns.Build(Signature, Registry, 17));
    }
}
