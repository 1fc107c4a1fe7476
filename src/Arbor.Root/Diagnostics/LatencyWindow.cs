namespace Arbor.Root.Diagnostics;

/// <summary>
/// The most recent request latencies (a fixed ring), for percentiles on the admin endpoint and in
/// canary analysis. Writers never block; a percentile read copies the ring.
/// </summary>
public sealed class LatencyWindow(int capacity = 8192)
{
    private readonly double[] _ring = new double[capacity];
    private long _count;

    public void Record(double milliseconds)
    {
        var slot = Interlocked.Increment(ref _count) - 1;
        Volatile.Write(ref _ring[slot % _ring.Length], milliseconds);
    }

    /// <summary>The given percentiles (0–100) of the window; zeros when nothing was recorded.</summary>
    public double[] Percentiles(params double[] percentiles)
    {
        var count = (int)Math.Min(Interlocked.Read(ref _count), _ring.Length);
        var result = new double[percentiles.Length];
        if (count == 0)
        {
            return result;
        }

        var copy = _ring.AsSpan(0, count).ToArray();
        Array.Sort(copy);
        for (var i = 0; i < percentiles.Length; i++)
        {
            var rank = (int)Math.Ceiling(percentiles[i] / 100.0 * count) - 1;
            result[i] = copy[Math.Clamp(rank, 0, count - 1)];
        }

        return result;
    }
}
