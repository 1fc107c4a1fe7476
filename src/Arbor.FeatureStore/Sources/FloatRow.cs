using System.Runtime.CompilerServices;
using Arbor.Features.Values;

namespace Arbor.FeatureStore.Sources;

/// <summary>
/// The float values of one row of values packed into one array: 4 bytes a value instead of a
/// <see cref="TypedValue"/>'s 24, with a bit saying "float" and one saying "no value" each. Reading
/// a row's float features into columns touches a sixth of the memory it would through the value
/// array, in ascending order.
/// </summary>
/// <remarks>
/// The slots go in blocks of 32, each block two words of bits (as floats' bits) followed by its 32
/// values: for slot <c>s</c> in block <c>b = s / 32</c>, bit <c>s % 32</c> of element <c>34 * b</c>
/// says it holds a float, the same bit of element <c>34 * b + 1</c> that it holds no value, and
/// element <c>34 * b + 2 + s % 32</c> is the float. A slot with neither bit (a value of another
/// kind) or past the row's end is read from the value array. Never mutate.
/// </remarks>
public static class FloatRow
{
    private const int Block = 34;

    /// <summary>What <see cref="Read"/> found in a slot.</summary>
    public enum Slot
    {
        /// <summary>A value of another kind, or a slot past the row's end: read the value array.</summary>
        Other,

        /// <summary>A float.</summary>
        Float,

        /// <summary>No value.</summary>
        None,
    }

    /// <summary>The floats of <paramref name="values"/> (by slot), or null when it holds none.</summary>
    public static float[]? Pack(ReadOnlySpan<TypedValue> values)
    {
        var last = -1;
        for (var slot = values.Length - 1; slot >= 0; slot--)
        {
            if (values[slot].Kind == FeatureType.Float)
            {
                last = slot;
                break;
            }
        }

        if (last < 0)
        {
            return null;
        }

        var row = new float[ValueIndex(last) + 1];
        for (var slot = 0; slot <= last; slot++)
        {
            var start = Block * (slot >> 5);
            var value = values[slot];
            if (value.Kind == FeatureType.Float)
            {
                SetBit(row, start, slot);
                row[ValueIndex(slot)] = value.AsFloat();
            }
            else if (!value.HasValue)
            {
                SetBit(row, start + 1, slot);
            }
        }

        return row;
    }

    /// <summary>What <paramref name="row"/> holds in <paramref name="slot"/>; the float in <paramref name="value"/> when it is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Slot Read(float[] row, int slot, out float value)
    {
        var start = Block * (slot >> 5);
        var index = start + 2 + (slot & 31);
        value = 0f;
        if ((uint)index >= (uint)row.Length)
        {
            return Slot.Other;
        }

        var bit = 1u << (slot & 31);
        if ((BitConverter.SingleToUInt32Bits(row[start]) & bit) != 0)
        {
            value = row[index];
            return Slot.Float;
        }

        return (BitConverter.SingleToUInt32Bits(row[start + 1]) & bit) != 0 ? Slot.None : Slot.Other;
    }

    /// <summary>The memory a packed row of <paramref name="row"/>'s length holds (for cache sizing).</summary>
    public static int SizeBytes(float[]? row) => row is null ? 0 : 24 + (row.Length * sizeof(float));

    private static int ValueIndex(int slot) => (Block * (slot >> 5)) + 2 + (slot & 31);

    private static void SetBit(float[] row, int word, int slot) =>
        row[word] = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(row[word]) | (1u << (slot & 31)));
}
