using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Arbor.Features.Values;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// The packed row: every feature of one entity in one blob, so that a batch read fetches one row
/// per entity and projects the requested features after reading.
/// </summary>
/// <remarks>
/// Layout (little-endian): a 5-byte header, format byte <see cref="Format"/> then the feature count
/// as int32; then per feature, in ascending name id order: the name id (unsigned LEB128 varint, see
/// <see cref="FeatureNameDictionary"/>), the type code (1 byte, <see cref="FeatureType"/>), the
/// payload length as a varint for the variable-length types only (float vector, int64 list, string,
/// bytes; floats are always 4 bytes and int64s 8), and the payload in <see cref="TypedValueCodec"/> form.
/// </remarks>
internal static class PackedFeatures
{
    public const byte Format = 1;

    public const int HeaderLength = 5;

    private const int MaxVarintLength = 5;

    /// <summary>The payload length of fixed-size types; -1 for variable-length ones.</summary>
    public static int FixedPayloadLength(int typeCode) => (FeatureType)typeCode switch
    {
        FeatureType.Float => sizeof(float),
        FeatureType.Int64 => sizeof(long),
        FeatureType.FloatVector or FeatureType.Int64List or FeatureType.String or FeatureType.Bytes => -1,
        _ => throw new FormatException($"Unknown stored value type code {typeCode}."),
    };

    /// <summary>
    /// Writes <paramref name="existing"/> (a packed row, or empty) with <paramref name="updates"/>
    /// applied to <paramref name="output"/>: updated features replace stored ones, none values delete,
    /// untouched features are copied byte for byte.
    /// </summary>
    /// <param name="updates">Sorted by name id, one per id.</param>
    /// <returns>The number of features in the merged row (0: the entity has none left).</returns>
    public static int Merge(ReadOnlySpan<byte> existing, ReadOnlySpan<PackedFeatureUpdate> updates, IBufferWriter<byte> output)
    {
        // A first pass counts, so that the header is written once and the entries straight after it.
        var count = MergeCore(existing, updates, output: null);
        var header = output.GetSpan(HeaderLength);
        header[0] = Format;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], count);
        output.Advance(HeaderLength);
        MergeCore(existing, updates, output);
        return count;
    }

    /// <summary>Reads an unsigned LEB128 varint of at most 31 bits.</summary>
    public static int ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        uint result = 0;
        for (var shift = 0; shift < 7 * MaxVarintLength; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new FormatException("A packed feature row ends inside a number.");
            }

            var b = data[position++];
            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result <= int.MaxValue
                    ? (int)result
                    : throw new FormatException($"A packed feature row holds a number out of range ({result}).");
            }
        }

        throw new FormatException("A packed feature row holds a number longer than 5 bytes.");
    }

    public static int WriteVarint(Span<byte> destination, int value)
    {
        var v = (uint)value;
        var i = 0;
        while (v >= 0x80)
        {
            destination[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        destination[i++] = (byte)v;
        return i;
    }

    private static int MergeCore(ReadOnlySpan<byte> existing, ReadOnlySpan<PackedFeatureUpdate> updates, IBufferWriter<byte>? output)
    {
        var reader = new PackedFeatureReader(existing);
        var hasStored = reader.MoveNext();
        var u = 0;
        var count = 0;
        while (hasStored || u < updates.Length)
        {
            if (u < updates.Length && (!hasStored || updates[u].NameId <= reader.NameId))
            {
                var update = updates[u++];
                if (hasStored && update.NameId == reader.NameId)
                {
                    hasStored = reader.MoveNext();
                }

                if (update.Value.HasValue)
                {
                    count++;
                    if (output is not null)
                    {
                        WriteEntry(output, update.NameId, update.Value);
                    }
                }
            }
            else
            {
                count++;
                output?.Write(reader.Entry);
                hasStored = reader.MoveNext();
            }
        }

        return count;
    }

    private static void WriteEntry(IBufferWriter<byte> output, int nameId, TypedValue value)
    {
        var fixedLength = FixedPayloadLength((int)value.Kind);
        var length = fixedLength >= 0 ? fixedLength : VariablePayloadLength(value);
        var span = output.GetSpan(MaxVarintLength + 1 + MaxVarintLength + length);
        var at = WriteVarint(span, nameId);
        span[at++] = (byte)value.Kind;
        if (fixedLength < 0)
        {
            at += WriteVarint(span[at..], length);
        }

        WritePayload(value, span.Slice(at, length));
        output.Advance(at + length);
    }

    private static int VariablePayloadLength(TypedValue value) => value.Kind switch
    {
        FeatureType.FloatVector => value.AsFloatVector().Length * sizeof(float),
        FeatureType.Int64List => value.AsInt64List().Length * sizeof(long),
        FeatureType.String => Encoding.UTF8.GetByteCount(value.AsString()),
        FeatureType.Bytes => value.AsBytes().Length,
        _ => throw new ArgumentException("A value without a type cannot be stored.", nameof(value)),
    };

    private static void WritePayload(TypedValue value, Span<byte> destination)
    {
        switch (value.Kind)
        {
            case FeatureType.Float:
                BinaryPrimitives.WriteSingleLittleEndian(destination, value.AsFloat());
                break;
            case FeatureType.Int64:
                BinaryPrimitives.WriteInt64LittleEndian(destination, value.AsInt64());
                break;
            case FeatureType.FloatVector:
                var floats = value.AsFloatVector();
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.AsBytes(floats).CopyTo(destination);
                    break;
                }

                for (var i = 0; i < floats.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], floats[i]);
                }

                break;
            case FeatureType.Int64List:
                var longs = value.AsInt64List();
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.AsBytes(longs).CopyTo(destination);
                    break;
                }

                for (var i = 0; i < longs.Length; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(destination[(i * sizeof(long))..], longs[i]);
                }

                break;
            case FeatureType.String:
                Encoding.UTF8.GetBytes(value.AsString(), destination);
                break;
            case FeatureType.Bytes:
                value.AsBytes().CopyTo(destination);
                break;
            default:
                throw new ArgumentException("A value without a type cannot be stored.", nameof(value));
        }
    }
}
