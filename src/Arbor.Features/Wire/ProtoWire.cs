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

    public static int WriteVarints(Span<byte> destination, ReadOnlySpan<long> values)
    {
        var offset = 0;
        foreach (var value in values)
        {
            offset += WriteVarint(destination[offset..], (ulong)value);
        }

        return offset;
    }

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
