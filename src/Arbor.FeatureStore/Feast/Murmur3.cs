using System.Buffers.Binary;
using System.Numerics;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// MurmurHash3, x86 32-bit variant (Austin Appleby's <c>MurmurHash3_x86_32</c>): what Feast's Redis
/// online store names hash fields by (<c>mmh3.hash</c> of <c>"{view}:{feature}"</c>, seed 0, written
/// as 4 bytes little-endian). Not a cryptographic hash.
/// </summary>
public static class Murmur3
{
    private const uint C1 = 0xcc9e2d51;
    private const uint C2 = 0x1b873593;

    public static uint Hash32(ReadOnlySpan<byte> data, uint seed = 0)
    {
        var hash = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            hash ^= Mix(BinaryPrimitives.ReadUInt32LittleEndian(data[(i * 4)..]));
            hash = (BitOperations.RotateLeft(hash, 13) * 5) + 0xe6546b64;
        }

        var tail = data[(blocks * 4)..];
        uint last = 0;
        switch (tail.Length)
        {
            case 3:
                last ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                last ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                last ^= tail[0];
                hash ^= Mix(last);
                break;
        }

        hash ^= (uint)data.Length;
        hash ^= hash >> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >> 16;
        return hash;
    }

    private static uint Mix(uint block) => BitOperations.RotateLeft(block * C1, 15) * C2;
}
