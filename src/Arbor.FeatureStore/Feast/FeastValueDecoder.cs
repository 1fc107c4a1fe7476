using System.Buffers.Binary;
using System.Text;
using Arbor.Features.Values;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// Decodes a serialized <c>feast.types.Value</c> (proto/feast/types/value.proto) straight into a
/// <see cref="TypedValue"/>, without a message object: float and double become a float (a double
/// rounded to the nearest float), int32 and int64 an int64, float and double lists a float vector,
/// int32 and int64 lists an int64 list, string and bytes as they are. Lists accept packed and
/// unpacked elements, as protobuf parsers must; when a field repeats, the last one wins.
/// </summary>
public static class FeastValueDecoder
{
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Decodes <paramref name="bytes"/>; <paramref name="field"/> is the oneof field met (0 for none).</summary>
    public static FeastValueStatus Decode(ReadOnlySpan<byte> bytes, out TypedValue value, out int field)
    {
        value = default;
        field = 0;
        var at = 0;
        var status = FeastValueStatus.Null;
        while (at < bytes.Length)
        {
            if (!TryReadVarint(bytes, ref at, out var tag) || tag > int.MaxValue)
            {
                return FeastValueStatus.Corrupt;
            }

            var number = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            if (number == 0 || !TryReadField(bytes, ref at, wireType, out var scalar, out var payload))
            {
                return FeastValueStatus.Corrupt;
            }

            field = number;
            status = DecodeField(number, wireType, scalar, payload, out value);
            if (status is FeastValueStatus.Corrupt or FeastValueStatus.UnknownType)
            {
                return status;
            }
        }

        return status;
    }

    /// <summary>The name of a <c>feast.types.Value</c> field, for messages.</summary>
    public static string FieldName(int field) => field switch
    {
        1 => "bytes_val",
        2 => "string_val",
        3 => "int32_val",
        4 => "int64_val",
        5 => "double_val",
        6 => "float_val",
        7 => "bool_val",
        8 => "unix_timestamp_val",
        11 => "bytes_list_val",
        12 => "string_list_val",
        13 => "int32_list_val",
        14 => "int64_list_val",
        15 => "double_list_val",
        16 => "float_list_val",
        17 => "bool_list_val",
        18 => "unix_timestamp_list_val",
        19 => "null_val",
        _ => $"field {field}",
    };

    private static FeastValueStatus DecodeField(int number, int wireType, ulong scalar, ReadOnlySpan<byte> payload, out TypedValue value)
    {
        value = default;
        switch (number)
        {
            case 1 when wireType == LengthDelimited:
                value = TypedValue.FromBytes(payload.ToArray());
                return FeastValueStatus.Value;
            case 2 when wireType == LengthDelimited:
                try
                {
                    value = TypedValue.FromString(StrictUtf8.GetString(payload));
                    return FeastValueStatus.Value;
                }
                catch (DecoderFallbackException)
                {
                    return FeastValueStatus.Corrupt;
                }

            case 3 when wireType == Varint:
                value = TypedValue.FromInt64((int)scalar);
                return FeastValueStatus.Value;
            case 4 when wireType == Varint:
                value = TypedValue.FromInt64((long)scalar);
                return FeastValueStatus.Value;
            case 5 when wireType == Fixed64:
                value = TypedValue.FromFloat((float)BitConverter.Int64BitsToDouble((long)scalar));
                return FeastValueStatus.Value;
            case 6 when wireType == Fixed32:
                value = TypedValue.FromFloat(BitConverter.Int32BitsToSingle((int)scalar));
                return FeastValueStatus.Value;
            case 13 or 14 when wireType == LengthDelimited:
                return DecodeIntegers(payload, out value);
            case 15 or 16 when wireType == LengthDelimited:
                return DecodeFloats(payload, number == 15 ? Fixed64 : Fixed32, out value);
            case 19 when wireType == Varint:
                return FeastValueStatus.Null;
            case 7 when wireType == Varint:
            case 8 when wireType == Varint:
            case 11 or 12 or 17 or 18 when wireType == LengthDelimited:
                return FeastValueStatus.TypeNotTaken;
            case 1 or 2 or 3 or 4 or 5 or 6 or 7 or 8 or 11 or 12 or 13 or 14 or 15 or 16 or 17 or 18 or 19:
                return FeastValueStatus.Corrupt;
            default:
                return FeastValueStatus.UnknownType;
        }
    }

    private static FeastValueStatus DecodeIntegers(ReadOnlySpan<byte> list, out TypedValue value)
    {
        value = default;
        var count = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            var values = pass == 1 ? new long[count] : null;
            var n = 0;
            var at = 0;
            while (at < list.Length)
            {
                if (!TryReadVarint(list, ref at, out var tag) || !TryReadField(list, ref at, (int)(tag & 7), out var scalar, out var packed))
                {
                    return FeastValueStatus.Corrupt;
                }

                if (tag >> 3 != 1)
                {
                    continue;
                }

                switch ((int)(tag & 7))
                {
                    case Varint:
                        if (values is not null)
                        {
                            values[n] = (long)scalar;
                        }

                        n++;
                        break;
                    case LengthDelimited:
                        var inner = 0;
                        while (inner < packed.Length)
                        {
                            if (!TryReadVarint(packed, ref inner, out var element))
                            {
                                return FeastValueStatus.Corrupt;
                            }

                            if (values is not null)
                            {
                                values[n] = (long)element;
                            }

                            n++;
                        }

                        break;
                    default:
                        return FeastValueStatus.Corrupt;
                }
            }

            count = n;
            if (values is not null)
            {
                value = TypedValue.FromInt64List(values);
            }
        }

        return FeastValueStatus.Value;
    }

    private static FeastValueStatus DecodeFloats(ReadOnlySpan<byte> list, int elementWireType, out TypedValue value)
    {
        value = default;
        var size = elementWireType == Fixed64 ? 8 : 4;
        var count = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            var values = pass == 1 ? new float[count] : null;
            var n = 0;
            var at = 0;
            while (at < list.Length)
            {
                if (!TryReadVarint(list, ref at, out var tag) || !TryReadField(list, ref at, (int)(tag & 7), out var scalar, out var packed))
                {
                    return FeastValueStatus.Corrupt;
                }

                if (tag >> 3 != 1)
                {
                    continue;
                }

                var wireType = (int)(tag & 7);
                if (wireType == elementWireType)
                {
                    if (values is not null)
                    {
                        values[n] = ToFloat(scalar, size);
                    }

                    n++;
                }
                else if (wireType == LengthDelimited && packed.Length % size == 0)
                {
                    for (var i = 0; i < packed.Length; i += size)
                    {
                        if (values is not null)
                        {
                            values[n] = ToFloat(size == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(packed[i..]) : BinaryPrimitives.ReadUInt32LittleEndian(packed[i..]), size);
                        }

                        n++;
                    }
                }
                else
                {
                    return FeastValueStatus.Corrupt;
                }
            }

            count = n;
            if (values is not null)
            {
                value = TypedValue.FromFloatVector(values);
            }
        }

        return FeastValueStatus.Value;
    }

    private static float ToFloat(ulong bits, int size) =>
        size == 8 ? (float)BitConverter.Int64BitsToDouble((long)bits) : BitConverter.Int32BitsToSingle((int)(uint)bits);

    private static bool TryReadField(ReadOnlySpan<byte> bytes, ref int at, int wireType, out ulong scalar, out ReadOnlySpan<byte> payload)
    {
        scalar = 0;
        payload = default;
        switch (wireType)
        {
            case Varint:
                return TryReadVarint(bytes, ref at, out scalar);
            case Fixed64:
                if (bytes.Length - at < 8)
                {
                    return false;
                }

                scalar = BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
                at += 8;
                return true;
            case Fixed32:
                if (bytes.Length - at < 4)
                {
                    return false;
                }

                scalar = BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);
                at += 4;
                return true;
            case LengthDelimited:
                if (!TryReadVarint(bytes, ref at, out var length) || length > (ulong)(bytes.Length - at))
                {
                    return false;
                }

                payload = bytes.Slice(at, (int)length);
                at += (int)length;
                return true;
            default:
                return false;
        }
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> bytes, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
            {
                return false;
            }

            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
