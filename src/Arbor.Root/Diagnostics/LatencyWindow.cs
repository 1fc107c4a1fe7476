namespace Arbor.Root.Diagnostics;

/// <summary>
/// Recent request latencies for percentiles on the admin endpoint and in canary analysis: the
/// samples of the last <see cref="Span"/> (default one minute), at most the capacity most recent of
/// them. A burst long past no longer counts once its minute is over. Writers never block; a
/// percentile read copies the ring.
/// </summary>
public sealed class LatencyWindow
{
    private readonly double[] _values;
    private readonly long[] _stamps;
    private readonly TimeProvider _time;
    private long _count;

    public LatencyWindow(int capacity = 8192, TimeSpan? span = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _values = new double[capacity];
        _stamps = new long[capacity];
        _time = time ?? TimeProvider.System;
        Span = span ?? TimeSpan.FromMinutes(1);
    }

    /// <summary>How far back samples count.</summary>
    public TimeSpan Span { get; }

    public void Record(double milliseconds)
    {
        var slot = (int)((Interlocked.Increment(ref _count) - 1) % _values.Length);
        Volatile.Write(ref _values[slot], milliseconds);
        Volatile.Write(ref _stamps[slot], _time.GetTimestamp());
    }

    /// <summary>The given percentiles (0–100) of the samples within <see cref="Span"/>; zeros when there are none.</summary>
    public double[] Percentiles(params double[] percentiles)
    {
        ArgumentNullException.ThrowIfNull(percentiles);
        var filled = (int)Math.Min(Interlocked.Read(ref _count), _values.Length);
        var now = _time.GetTimestamp();
        var recent = new List<double>(filled);
        for (var i = 0; i < filled; i++)
        {
            if (_time.GetElapsedTime(Volatile.Read(ref _stamps[i]), now) <= Span)
            {
                recent.Add(Volatile.Read(ref _values[i]));
            }
        }

        var result = new double[percentiles.Length];
        if (recent.Count == 0)
        {
            return result;
        }

        recent.Sort();
        for (var i = 0; i < percentiles.Length; i++)
        {
            var rank = (int)Math.Ceiling(percentiles[i] / 100.0 * recent.Count) - 1;
            result[i] = recent[Math.Clamp(rank, 0, recent.Count - 1)];
        }

        return result;
    }
}
