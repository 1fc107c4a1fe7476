namespace Arbor.Root.Diagnostics;

/// <summary>
/// Recent request latencies for percentiles on the admin endpoint and in canary analysis: the
/// samples of the last <see cref="Span"/> (default one minute), at most the capacity most recent of
/// them. A burst long past no longer counts once its minute is over. Writers never block; a
/// percentile read selects from a copy of the ring in a per-thread scratch buffer.
/// </summary>
public sealed class LatencyWindow
{
    [ThreadStatic]
    private static double[]? _scratch;

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
    public double[] Percentiles(params ReadOnlySpan<double> percentiles)
    {
        var result = new double[percentiles.Length];
        Percentiles(percentiles, result);
        return result;
    }

    /// <summary>
    /// Writes the given percentiles (0–100) of the samples within <see cref="Span"/> into
    /// <paramref name="results"/> (one per percentile; zeros when there are none), allocating nothing
    /// once the reading thread's scratch buffer is as large as the window.
    /// </summary>
    public void Percentiles(ReadOnlySpan<double> percentiles, Span<double> results)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, percentiles.Length, nameof(results));
        var filled = (int)Math.Min(Interlocked.Read(ref _count), _values.Length);
        var now = _time.GetTimestamp();
        // A read sorts a copy of the recent samples; the copy goes to a per-thread buffer kept across
        // reads (and windows), as stats are read often and each window holds thousands of samples.
        var scratch = _scratch is { } buffer && buffer.Length >= filled ? buffer : _scratch = new double[_values.Length];
        var count = 0;
        for (var i = 0; i < filled; i++)
        {
            if (_time.GetElapsedTime(Volatile.Read(ref _stamps[i]), now) <= Span)
            {
                scratch[count++] = Volatile.Read(ref _values[i]);
            }
        }

        if (count == 0)
        {
            results[..percentiles.Length].Clear();
            return;
        }

        // Each percentile is one selection (linear on average), not a sort of the whole window.
        var recent = scratch.AsSpan(0, count);
        for (var i = 0; i < percentiles.Length; i++)
        {
            var rank = (int)Math.Ceiling(percentiles[i] / 100.0 * count) - 1;
            results[i] = Select(recent, Math.Clamp(rank, 0, count - 1));
        }
    }

    /// <summary>
    /// The value that would be at <paramref name="rank"/> if <paramref name="values"/> were sorted
    /// (reordering them): quickselect with a median-of-three pivot, sorting what is left once it has
    /// partitioned more often than a sort would need, so the worst case stays n log n.
    /// </summary>
    internal static double Select(Span<double> values, int rank)
    {
        var budget = 2 * (64 - ulong.LeadingZeroCount((ulong)values.Length));
        while (values.Length > 16 && budget-- > 0)
        {
            var middle = values.Length / 2;
            var last = values.Length - 1;
            // The median of the first, middle and last values goes to the end as the pivot.
            if (values[middle] < values[0])
            {
                (values[middle], values[0]) = (values[0], values[middle]);
            }

            if (values[last] < values[0])
            {
                (values[last], values[0]) = (values[0], values[last]);
            }

            if (values[middle] < values[last])
            {
                (values[middle], values[last]) = (values[last], values[middle]);
            }

            var pivot = values[last];
            var store = 0;
            for (var i = 0; i < last; i++)
            {
                if (values[i] < pivot)
                {
                    (values[i], values[store]) = (values[store], values[i]);
                    store++;
                }
            }

            (values[store], values[last]) = (values[last], values[store]);
            if (rank == store)
            {
                return values[store];
            }

            if (rank < store)
            {
                values = values[..store];
            }
            else
            {
                values = values[(store + 1)..];
                rank -= store + 1;
            }
        }

        values.Sort();
        return values[rank];
    }
}
