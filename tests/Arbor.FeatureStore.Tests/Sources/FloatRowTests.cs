using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Tests.Sources;

/// <summary>
/// A packed float row says, for every slot of the value array it was packed from, what the array
/// holds there: the float itself, bit for bit; "no value"; or "another kind" (read the array), the
/// last also for every slot past the row's last float.
/// </summary>
public sealed class FloatRowTests
{
    [Fact]
    public void Read_RandomValueArrays_SaysWhatTheArrayHoldsInEverySlot()
    {
        var random = new Random(20261205);
        for (var round = 0; round < 300; round++)
        {
            var values = new TypedValue[random.Next(0, 140)];
            for (var slot = 0; slot < values.Length; slot++)
            {
                values[slot] = random.Next(6) switch
                {
                    0 => TypedValue.None,
                    1 => TypedValue.FromInt64(random.NextInt64()),
                    2 => TypedValue.FromFloatVector([random.NextSingle()]),
                    3 => TypedValue.FromFloat(random.Next(8) == 0 ? float.NaN : random.Next(8) == 0 ? -0f : (random.NextSingle() * 200) - 100),
                    _ => TypedValue.FromFloat(BitConverter.Int32BitsToSingle(random.Next())),
                };
            }

            var row = FloatRow.Pack(values);
            var lastFloat = Array.FindLastIndex(values, v => v.Kind == FeatureType.Float);
            Assert.Equal(lastFloat < 0, row is null);
            if (row is null)
            {
                continue;
            }

            for (var slot = -1; slot < values.Length + 70; slot++)
            {
                var found = FloatRow.Read(row, slot, out var value);
                // The row ends at the last float: every slot after it is read from the array.
                var expected = slot < 0 || slot > lastFloat ? FloatRow.Slot.Other
                    : values[slot].Kind == FeatureType.Float ? FloatRow.Slot.Float
                    : values[slot].HasValue ? FloatRow.Slot.Other
                    : FloatRow.Slot.None;
                Assert.Equal(expected, found);
                if (found == FloatRow.Slot.Float)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(values[slot].AsFloat()), BitConverter.SingleToInt32Bits(value));
                }
            }
        }
    }

    [Fact]
    public void Pack_AnArrayWithoutFloats_IsNoRow()
    {
        Assert.Null(FloatRow.Pack([]));
        Assert.Null(FloatRow.Pack([TypedValue.None, TypedValue.FromInt64(3), TypedValue.FromString("a")]));
    }

    [Fact]
    public void Read_PastTheLastFloat_SendsTheReaderToTheArray()
    {
        var values = new TypedValue[100];
        values[2] = TypedValue.FromFloat(1.5f);
        var row = FloatRow.Pack(values)!;

        Assert.Equal(FloatRow.Slot.Float, FloatRow.Read(row, 2, out var value));
        Assert.Equal(1.5f, value);
        Assert.Equal(FloatRow.Slot.None, FloatRow.Read(row, 1, out _));
        Assert.Equal(FloatRow.Slot.Other, FloatRow.Read(row, 3, out _));
        Assert.Equal(FloatRow.Slot.Other, FloatRow.Read(row, 40, out _));
        Assert.Equal(FloatRow.Slot.Other, FloatRow.Read(row, 99, out _));
    }
}
