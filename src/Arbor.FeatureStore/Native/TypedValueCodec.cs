using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Arbor.Features.Values;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// The stored form of a value, shared by every store adapter: a type code
/// (<see cref="FeatureType"/> as a small integer, 1..6) and a little-endian payload.
/// </summary>
/// <remarks>
/// Payloads: float = 4 bytes IEEE-754; int64 = 8 bytes; float vector = 4 bytes per element;
/// int64 list = 8 bytes per element; string = UTF-8; bytes = as is. No length prefix: the
/// column's length is the payload length.
/// </remarks>
public static class TypedValueCodec
{
    /// <summary>Encodes a value (which must have one) into a new array.</summary>
    public static byte[] Encode(TypedValue value)
    {
        switch (value.Kind)
        {
            case FeatureType.Float:
                var f = new byte[sizeof(float)];
                BinaryPrimitives.WriteSingleLittleEndian(f, value.AsFloat());
                return f;
            case FeatureType.Int64:
                var l = new byte[sizeof(long)];
                BinaryPrimitives.WriteInt64LittleEndian(l, value.AsInt64());
                return l;
            case FeatureType.FloatVector:
                var vector = MemoryMarshal.AsBytes(value.AsFloatVector()).ToArray();
                ToLittleEndian<float>(vector);
                return vector;
            case FeatureType.Int64List:
                var list = MemoryMarshal.AsBytes(value.AsInt64List()).ToArray();
                ToLittleEndian<long>(list);
                return list;
            case FeatureType.String:
                return Encoding.UTF8.GetBytes(value.AsString());
            case FeatureType.Bytes:
                return value.AsBytes().ToArray();
            default:
                throw new ArgumentException("A value without a type cannot be stored.", nameof(value));
        }
    }

    /// <summary>Decodes a stored value; a malformed payload gives a <see cref="FormatException"/>.</summary>
    public static TypedValue Decode(int typeCode, ReadOnlySpan<byte> payload)
    {
        switch ((FeatureType)typeCode)
        {
            case FeatureType.Float:
                ExpectLength(payload, sizeof(float), typeCode);
                return TypedValue.FromFloat(BinaryPrimitives.ReadSingleLittleEndian(payload));
            case FeatureType.Int64:
                ExpectLength(payload, sizeof(long), typeCode);
                return TypedValue.FromInt64(BinaryPrimitives.ReadInt64LittleEndian(payload));
            case FeatureType.FloatVector:
                ExpectMultiple(payload, sizeof(float), typeCode);
                var floats = new float[payload.Length / sizeof(float)];
                payload.CopyTo(MemoryMarshal.AsBytes(floats.AsSpan()));
                ToLittleEndian<float>(MemoryMarshal.AsBytes(floats.AsSpan()));
                return TypedValue.FromFloatVector(floats);
            case FeatureType.Int64List:
                ExpectMultiple(payload, sizeof(long), typeCode);
                var longs = new long[payload.Length / sizeof(long)];
                payload.CopyTo(MemoryMarshal.AsBytes(longs.AsSpan()));
                ToLittleEndian<long>(MemoryMarshal.AsBytes(longs.AsSpan()));
                return TypedValue.FromInt64List(longs);
            case FeatureType.String:
                return TypedValue.FromString(Encoding.UTF8.GetString(payload));
            case FeatureType.Bytes:
                return TypedValue.FromBytes(payload.ToArray());
            default:
                throw new FormatException($"Unknown stored value type code {typeCode}.");
        }
    }

    private static void ExpectLength(ReadOnlySpan<byte> payload, int length, int typeCode)
    {
        if (payload.Length != length)
        {
            throw new FormatException($"A stored {(FeatureType)typeCode} must be {length} bytes, not {payload.Length}.");
        }
    }

    private static void ExpectMultiple(ReadOnlySpan<byte> payload, int size, int typeCode)
    {
        if (payload.Length % size != 0)
        {
            throw new FormatException($"A stored {(FeatureType)typeCode} must be a multiple of {size} bytes, not {payload.Length}.");
        }
    }

    // The payload is little-endian; on a big-endian host swap each element in place.
    private static void ToLittleEndian<T>(Span<byte> bytes)
        where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            return;
        }

        var size = Marshal.SizeOf<T>();
        for (var i = 0; i < bytes.Length; i += size)
        {
            bytes.Slice(i, size).Reverse();
        }
    }
}
