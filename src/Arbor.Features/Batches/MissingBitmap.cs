using System.Buffers.Binary;
using System.Numerics;

namespace Arbor.Features.Batches;

/// <summary>
/// The wire layout of a column's missing rows: bit <c>i</c> (least significant bit first within each
/// byte) set means row <c>i</c> has no value.
/// </summary>
public static class MissingBitmap
{
    /// <summary>The number of bytes a bitmap over <paramref name="rowCount"/> rows takes.</summary>
    public static int ByteCount(int rowCount) => (rowCount + 7) >> 3;

    /// <summary>A bitmap over <paramref name="rowCount"/> rows with no row marked missing.</summary>
    public static byte[] Create(int rowCount) => new byte[ByteCount(rowCount)];

    /// <summary>Marks <paramref name="row"/> missing.</summary>
    public static void Set(Span<byte> bitmap, int row) => bitmap[row >> 3] |= (byte)(1 << (row & 7));

    /// <summary>Whether <paramref name="row"/> is marked missing (rows past the bitmap are present).</summary>
    public static bool IsSet(ReadOnlySpan<byte> bitmap, int row)
    {
        var index = row >> 3;
        return (uint)index < (uint)bitmap.Length && (bitmap[index] & (1 << (row & 7))) != 0;
    }

    /// <summary>
    /// Writes the rows below <paramref name="rowCount"/> that are not marked missing to
    /// <paramref name="destination"/>, ascending, and returns how many there are (rows past the
    /// bitmap are present, as in <see cref="IsSet"/>). Reads the bitmap 64 rows at a time.
    /// </summary>
    internal static int PresentRows(ReadOnlySpan<byte> bitmap, int rowCount, Span<int> destination)
    {
        var count = 0;
        for (var first = 0; first < rowCount; first += 64)
        {
            var present = ~Word(bitmap, first >> 3);
            if (rowCount - first < 64)
            {
                present &= (1UL << (rowCount - first)) - 1;
            }

            while (present != 0)
            {
                destination[count++] = first + BitOperations.TrailingZeroCount(present);
                present &= present - 1;
            }
        }

        return count;
    }

    /// <summary>The 64 bits from byte <paramref name="offset"/> on, bytes past the bitmap read as 0.</summary>
    private static ulong Word(ReadOnlySpan<byte> bitmap, int offset)
    {
        if (offset + sizeof(ulong) <= bitmap.Length)
        {
            return BinaryPrimitives.ReadUInt64LittleEndian(bitmap[offset..]);
        }

        ulong word = 0;
        for (var b = offset; b < bitmap.Length; b++)
        {
            word |= (ulong)bitmap[b] << ((b - offset) * 8);
        }

        return word;
    }
}
