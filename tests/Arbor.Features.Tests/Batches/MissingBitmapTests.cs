using Arbor.Features.Batches;

namespace Arbor.Features.Tests.Batches;

public sealed class MissingBitmapTests
{
    [Fact]
    public void PresentRows_AnyBitmapAndRowCount_AreTheRowsIsSetCallsPresent_InOrder()
    {
        var random = new Random(20261205);
        for (var round = 0; round < 2_000; round++)
        {
            var rows = random.Next(0, 300);

            // Exact length, shorter (rows past it are present) or longer (bits past the rows ignored),
            // with each bit set at a random density, stray bits past the rows included.
            var length = Math.Max(0, MissingBitmap.ByteCount(rows) + random.Next(-9, 10));
            var bitmap = new byte[length];
            var density = random.NextDouble();
            for (var bit = 0; bit < length * 8; bit++)
            {
                if (random.NextDouble() < density)
                {
                    MissingBitmap.Set(bitmap, bit);
                }
            }

            var expected = Enumerable.Range(0, rows).Where(r => !MissingBitmap.IsSet(bitmap, r)).ToArray();
            var destination = new int[rows];
            var count = MissingBitmap.PresentRows(bitmap, rows, destination);

            Assert.Equal(expected, destination[..count]);
        }
    }
}
