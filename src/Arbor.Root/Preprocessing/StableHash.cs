using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over bytes: stable across
/// processes, machines and .NET versions (unlike <see cref="string.GetHashCode()"/>), trivial to
/// reproduce in Python or SQL. Strings hash as their UTF-8 bytes; an int64 as its 8 little-endian bytes.
/// </summary>
public static class StableHash
{
    private const ulong OffsetBasis = 0xcbf29ce484222325UL;
    private const ulong Prime = 0x100000001b3UL;

    public static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var hash = OffsetBasis;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= Prime;
        }

        return hash;
    }

    public static ulong Fnv1a64(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, buffer);
            return Fnv1a64(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static ulong Fnv1a64(long value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return Fnv1a64(bytes);
    }

    /// <summary>Maps a hash to an id in [0, <paramref name="buckets"/>).</summary>
    public static long ToBucket(ulong hash, long buckets)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(buckets);
        return (long)(hash % (ulong)buckets);
    }
}
