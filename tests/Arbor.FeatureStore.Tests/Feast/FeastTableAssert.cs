using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Tests.Feast;

public static class FeastTableAssert
{
    /// <summary>Both tables hold the same ids, columns and bit-identical values; returns how many values they hold.</summary>
    public static int Equal(FeatureTable expected, FeatureTable actual)
    {
        Assert.Equal(expected.Ids, actual.Ids);
        Assert.Equal(expected.Features, actual.Features);
        var values = 0;
        for (var row = 0; row < expected.RowCount; row++)
        {
            for (var column = 0; column < expected.ColumnCount; column++)
            {
                var want = expected[row, column];
                var got = actual[row, column];
                Assert.True(want == got, $"{expected.Ids[row]}/{expected.Features[column]}: expected {want}, got {got}");
                values += want.HasValue ? 1 : 0;
            }
        }

        return values;
    }
}
