namespace Arbor.Cli.Bench;

/// <summary>Every latency of a phase (a bench phase holds at most a few thousand), for exact percentiles.</summary>
public sealed class LatencySamples
{
    private readonly List<double> _milliseconds = [];

    public int Count
    {
        get
        {
            lock (_milliseconds)
            {
                return _milliseconds.Count;
            }
        }
    }

    public void Add(double milliseconds)
    {
        lock (_milliseconds)
        {
            _milliseconds.Add(milliseconds);
        }
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–100); NaN without samples.</summary>
    public double Percentile(double p)
    {
        double[] sorted;
        lock (_milliseconds)
        {
            sorted = [.. _milliseconds];
        }

        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
