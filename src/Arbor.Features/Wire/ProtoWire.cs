using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Arbor.Features.Wire;

/// <summary>
/// The few protobuf wire primitives the encoders need, written straight into spans (no streams, no
/// per-value calls into Google.Protobuf).
/// </summary>
internal static class ProtoWire
{
    public const int WireTypeVarint = 0;
    public const int WireTypeLengthDelimited = 2;

    public static byte Tag(int fieldNumber, int wireType) => (byte)((fieldNumber << 3) | wireType);

    public static int VarintSize(uint value) => (BitOperations.Log2(value | 1) / 7) + 1;

    public static int VarintSize(ulong value) => (BitOperations.Log2(value | 1) / 7) + 1;

    /// <summary>Size of a length-delimited field (one-byte tag) carrying <paramref name="length"/> bytes.</summary>
    public static int LengthDelimitedSize(int length) => 1 + VarintSize((uint)length) + length;

    public static int WriteVarint(Span<byte> destination, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Writes a one-byte tag and a length; returns the bytes written.</summary>
    public static int WriteLengthPrefix(Span<byte> destination, int fieldNumber, int length)
    {
        destination[0] = Tag(fieldNumber, WireTypeLengthDelimited);
        return 1 + WriteVarint(destination[1..], (uint)length);
    }

    /// <summary>Sum of the varint sizes of int64 values (negative values take ten bytes).</summary>
    public static int VarintsSize(ReadOnlySpan<long> values)
    {
        var size = 0;
        foreach (var value in values)
        {
            size += VarintSize((ulong)value);
        }

        return size;
    }

    public static int VarintsSize(ReadOnlySpan<int> values)
    {
        var size = 0;
        foreach (var value in values)
        {
            size += VarintSize((uint)value);
        }

        return size;
    }

    /// <summary>
    /// Writes the values as packed varints; returns the bytes written. A value below 2⁵⁶ with eight
    /// bytes of room is written as one eight-byte store, its 7-bit groups spread apart and the
    /// continuation bits set: the bytes past its varint are the next values' to overwrite, so
    /// <paramref name="destination"/> must be what the values fill (as a measured column's is).
    /// </summary>
    public static int WriteVarints(Span<byte> destination, ReadOnlySpan<long> values)
    {
        var offset = 0;
        foreach (var signed in values)
        {
            var value = (ulong)signed;
            if (value < 0x80)
            {
                destination[offset++] = (byte)value;
            }
            else if (value < 1UL << 56 && destination.Length - offset >= sizeof(ulong))
            {
                var size = VarintSize(value);
                BinaryPrimitives.WriteUInt64LittleEndian(destination[offset..], Spread(value) | (0x8080808080808080UL & ((1UL << ((size - 1) * 8)) - 1)));
                offset += size;
            }
            else
            {
                offset += WriteVarint(destination[offset..], value);
            }
        }

        return offset;
    }

    /// <summary>Reads packed varints into <paramref name="destination"/>, which they must fill exactly (as int64s, two's complement).</summary>
    public static void ReadVarints(ReadOnlySpan<byte> source, Span<long> destination)
    {
        var at = 0;
        for (var i = 0; i < destination.Length; i++)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (at >= source.Length || shift > 63)
                {
                    throw new FormatException("Malformed packed varints.");
                }

                var b = source[at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            destination[i] = (long)value;
        }

        if (at != source.Length)
        {
            throw new FormatException("Packed varints left over.");
        }
    }

    /// <summary>Bits 7k to 7k+6 of <paramref name="value"/> (below 2⁵⁶) moved to the low 7 bits of byte k.</summary>
    private static ulong Spread(ulong value) =>
        (value & 0x7F)
        | ((value << 1) & 0x7F00)
        | ((value << 2) & 0x7F_0000)
        | ((value << 3) & 0x7F00_0000)
        | ((value << 4) & 0x7F_0000_0000)
        | ((value << 5) & 0x7F00_0000_0000)
        | ((value << 6) & 0x7F_0000_0000_0000)
        | ((value << 7) & 0x7F00_0000_0000_0000);

    /// <summary>Copies floats as little-endian IEEE 754 (the packed float layout).</summary>
    public static void WriteFloats(Span<byte> destination, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(destination);
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], values[i]);
        }
    }
}
