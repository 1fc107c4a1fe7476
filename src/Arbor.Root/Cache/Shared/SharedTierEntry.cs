using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Arbor.Features.Values;
using Arbor.FeatureStore.Native;

namespace Arbor.Root.Cache.Shared;

/// <summary>
/// What the shared tier holds for one entity: the features one or more store reads fetched (a
/// fetched feature without a value means "the store has none"), by name, and when the oldest of
/// those reads started (Unix milliseconds, a clock every root shares).
/// </summary>
/// <remarks>
/// Layout: format byte (1); fetch time (int64); feature count (int32); per feature its name (int32
/// length + UTF-8), type code (byte; 0 = no value) and payload (int32 length + <see cref="TypedValueCodec"/>
/// bytes). Names rather than store name ids, so the tier works over every feature source.
/// </remarks>
internal static class SharedTierEntry
{
    public const byte Format = 1;

    public static byte[] Encode(long fetchedAtUnixMs, IReadOnlyList<KeyValuePair<string, TypedValue>> features)
    {
        var output = new ArrayBufferWriter<byte>(256);
        var header = output.GetSpan(13);
        header[0] = Format;
        BinaryPrimitives.WriteInt64LittleEndian(header[1..], fetchedAtUnixMs);
        BinaryPrimitives.WriteInt32LittleEndian(header[9..], features.Count);
        output.Advance(13);
        foreach (var (name, value) in features)
        {
            var nameLength = Encoding.UTF8.GetByteCount(name);
            var payload = value.HasValue ? TypedValueCodec.Encode(value) : [];
            var span = output.GetSpan(4 + nameLength + 1 + 4 + payload.Length);
            BinaryPrimitives.WriteInt32LittleEndian(span, nameLength);
            Encoding.UTF8.GetBytes(name, span[4..]);
            var at = 4 + nameLength;
            span[at++] = value.HasValue ? (byte)value.Kind : (byte)0;
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], payload.Length);
            payload.CopyTo(span[(at + 4)..]);
            output.Advance(at + 4 + payload.Length);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Reads an entry into <paramref name="features"/> (cleared first); false, and nothing read, when it is malformed.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, Dictionary<string, TypedValue> features, out long fetchedAtUnixMs)
    {
        features.Clear();
        fetchedAtUnixMs = 0;
        if (data.Length < 13 || data[0] != Format)
        {
            return false;
        }

        try
        {
            fetchedAtUnixMs = BinaryPrimitives.ReadInt64LittleEndian(data[1..]);
            var count = BinaryPrimitives.ReadInt32LittleEndian(data[9..]);
            var at = 13;
            for (var i = 0; i < count; i++)
            {
                var nameLength = BinaryPrimitives.ReadInt32LittleEndian(data[at..]);
                var name = Encoding.UTF8.GetString(data.Slice(at + 4, nameLength));
                at += 4 + nameLength;
                var typeCode = data[at];
                var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(data[(at + 1)..]);
                var payload = data.Slice(at + 5, payloadLength);
                at += 5 + payloadLength;
                features[name] = typeCode == 0 ? default : TypedValueCodec.Decode(typeCode, payload);
            }

            return at == data.Length;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or FormatException or ArgumentException)
        {
            features.Clear();
            return false;
        }
    }
}
