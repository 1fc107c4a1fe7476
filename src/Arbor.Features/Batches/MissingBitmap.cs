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
}
