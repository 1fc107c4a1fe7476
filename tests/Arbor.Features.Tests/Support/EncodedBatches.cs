using Arbor.Features.Batches;
using Arbor.Features.Wire;

namespace Arbor.Features.Tests.Support;

/// <summary>Compares batches by what they encode to.</summary>
public static class EncodedBatches
{
    /// <summary>Both batches encode to the same columns, byte for byte.</summary>
    public static void AssertEncodeAlike(FeatureBatch expected, FeatureBatch actual)
    {
        using var fromExpected = FeatureBatchEncoder.Encode(expected);
        using var fromActual = FeatureBatchEncoder.Encode(actual);
        AssertSameColumns(fromExpected, fromActual);
    }

    /// <summary>The same columns, in the same order, byte for byte.</summary>
    public static void AssertSameColumns(EncodedBatch expected, EncodedBatch actual)
    {
        Assert.Equal(expected.ColumnCount, actual.ColumnCount);
        for (var c = 0; c < expected.ColumnCount; c++)
        {
            Assert.Equal(expected.GetBytes(expected.Columns[c]).ToArray(), actual.GetBytes(actual.Columns[c]).ToArray());
        }
    }
}
