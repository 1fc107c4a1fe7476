using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// Feast's serialized entity key, version 3 (<c>entity_key_serialization_version: 3</c>), for one join
/// key: <c>&lt;u32 1&gt;&lt;u32 2 (STRING)&gt;&lt;u32 name length&gt;&lt;name&gt;&lt;u32 value type&gt;&lt;u32 value length&gt;&lt;value&gt;</c>,
/// all little-endian; the value is UTF-8 text, or a little-endian int32 / int64.
/// </summary>
public static class FeastEntityKey
{
    private const uint StringType = (uint)FeastKeyType.String;

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>The key of <paramref name="id"/>; null when the id is not a number of an integer key type.</summary>
    public static byte[]? TryEncode(string joinKey, FeastKeyType type, string id)
    {
        ArgumentNullException.ThrowIfNull(joinKey);
        ArgumentNullException.ThrowIfNull(id);
        var nameLength = Encoding.UTF8.GetByteCount(joinKey);
        int valueLength;
        long number = 0;
        switch (type)
        {
            case FeastKeyType.String:
                valueLength = Encoding.UTF8.GetByteCount(id);
                break;
            case FeastKeyType.Int32 when int.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var small):
                number = small;
                valueLength = 4;
                break;
            case FeastKeyType.Int64 when long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var large):
                number = large;
                valueLength = 8;
                break;
            case FeastKeyType.Int32 or FeastKeyType.Int64:
                return null;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown join key type.");
        }

        var key = new byte[4 + 4 + 4 + nameLength + 4 + 4 + valueLength];
        var span = key.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], StringType);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)nameLength);
        Encoding.UTF8.GetBytes(joinKey, span.Slice(12, nameLength));
        var at = 12 + nameLength;
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)type);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 4)..], (uint)valueLength);
        var value = span[(at + 8)..];
        switch (type)
        {
            case FeastKeyType.String:
                Encoding.UTF8.GetBytes(id, value);
                break;
            case FeastKeyType.Int32:
                BinaryPrimitives.WriteInt32LittleEndian(value, (int)number);
                break;
            default:
                BinaryPrimitives.WriteInt64LittleEndian(value, number);
                break;
        }

        return key;
    }

    /// <summary>
    /// The Arbor id a stored key holds (the inverse of <see cref="TryEncode"/>): false when the bytes
    /// are not a version 3 key of the single join key <paramref name="joinKey"/> with a value of
    /// <paramref name="type"/> (another join key, another value type, a value of the wrong length,
    /// text that is not UTF-8, trailing bytes).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> key, string joinKey, FeastKeyType type, [NotNullWhen(true)] out string? id)
    {
        ArgumentNullException.ThrowIfNull(joinKey);
        id = null;
        var at = 4;
        if (key.Length < 4
            || BinaryPrimitives.ReadUInt32LittleEndian(key) != 1
            || !TryReadField(key, ref at, out var nameType, out var name)
            || nameType != StringType
            || !TryReadField(key, ref at, out var valueType, out var value)
            || valueType != (uint)type
            || at != key.Length
            || !name.SequenceEqual(Encoding.UTF8.GetBytes(joinKey)))
        {
            return false;
        }

        switch (type)
        {
            case FeastKeyType.String:
                try
                {
                    id = StrictUtf8.GetString(value);
                }
                catch (DecoderFallbackException)
                {
                    return false;
                }

                return id.Length > 0;
            case FeastKeyType.Int32 when value.Length == 4:
                id = BinaryPrimitives.ReadInt32LittleEndian(value).ToString(CultureInfo.InvariantCulture);
                return true;
            case FeastKeyType.Int64 when value.Length == 8:
                id = BinaryPrimitives.ReadInt64LittleEndian(value).ToString(CultureInfo.InvariantCulture);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Reads the join key names and value type numbers of a stored key (start-up checks); false
    /// when the bytes are not a version 3 key.
    /// </summary>
    public static bool TryDescribe(ReadOnlySpan<byte> key, out string[] joinKeys, out uint[] valueTypes)
    {
        joinKeys = [];
        valueTypes = [];
        if (key.Length < 4)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadUInt32LittleEndian(key);
        if (count is 0 or > 64)
        {
            return false;
        }

        var names = new string[count];
        var types = new uint[count];
        var at = 4;
        for (var i = 0; i < count; i++)
        {
            if (!TryReadField(key, ref at, out var type, out var bytes) || type != StringType)
            {
                return false;
            }

            names[i] = Encoding.UTF8.GetString(bytes);
        }

        for (var i = 0; i < count; i++)
        {
            if (!TryReadField(key, ref at, out types[i], out _))
            {
                return false;
            }
        }

        joinKeys = names;
        valueTypes = types;
        return at == key.Length;
    }

    private static bool TryReadField(ReadOnlySpan<byte> key, ref int at, out uint type, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        type = 0;
        if (key.Length - at < 8)
        {
            return false;
        }

        type = BinaryPrimitives.ReadUInt32LittleEndian(key[at..]);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(key[(at + 4)..]);
        if (length > (uint)(key.Length - at - 8))
        {
            return false;
        }

        bytes = key.Slice(at + 8, (int)length);
        at += 8 + (int)length;
        return true;
    }
}
