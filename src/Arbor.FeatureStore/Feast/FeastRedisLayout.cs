using System.Buffers.Binary;
using System.Text;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// How Feast's Redis online store names what it writes: one hash per entity under the serialized
/// entity key followed by the project's UTF-8 bytes; in it, each feature under the 4-byte
/// little-endian MurmurHash3 (seed 0) of <c>"{view}:{feature}"</c>, holding a serialized
/// <c>feast.types.Value</c>, and each view's event time under <c>_ts:{view}</c>, a serialized
/// <c>google.protobuf.Timestamp</c>.
/// </summary>
public static class FeastRedisLayout
{
    /// <summary>The Redis key of an entity: its serialized key, then the project.</summary>
    public static byte[] Key(ReadOnlySpan<byte> entityKey, string project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var key = new byte[entityKey.Length + Encoding.UTF8.GetByteCount(project)];
        entityKey.CopyTo(key);
        Encoding.UTF8.GetBytes(project, key.AsSpan(entityKey.Length));
        return key;
    }

    /// <summary>The hash field of a feature of a view.</summary>
    public static byte[] Field(string view, string feature)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(feature);
        var name = Encoding.UTF8.GetBytes($"{view}:{feature}");
        var field = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(field, Murmur3.Hash32(name));
        return field;
    }

    /// <summary>The hash field of a view's event time.</summary>
    public static string EventTimeField(string view) => "_ts:" + view;

    /// <summary>
    /// Reads a serialized <c>google.protobuf.Timestamp</c> (seconds, field 1; nanos, field 2; both
    /// varints; empty is the epoch); false when the bytes are not one.
    /// </summary>
    public static bool TryReadTimestamp(ReadOnlySpan<byte> bytes, out DateTimeOffset time)
    {
        time = default;
        long seconds = 0;
        long nanos = 0;
        var at = 0;
        while (at < bytes.Length)
        {
            if (!TryReadVarint(bytes, ref at, out var tag) || !TryReadVarint(bytes, ref at, out var value) || (tag & 7) != 0)
            {
                return false;
            }

            switch (tag >> 3)
            {
                case 1:
                    seconds = (long)value;
                    break;
                case 2:
                    nanos = (long)value;
                    break;
                default:
                    return false;
            }
        }

        // Timestamp's own bounds: years 1 to 9999, nanos below a second.
        if (seconds is < -62135596800 or > 253402300799 || nanos is < 0 or > 999_999_999)
        {
            return false;
        }

        time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
        return true;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> bytes, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && at < bytes.Length; shift += 7)
        {
            var b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
