namespace Arbor.Telemetry;

/// <summary>
/// Histogram bucket boundaries for serving latency: from 100 µs (a cache hit, a small forward) to
/// 10 s (a request waiting out a long deadline), roughly 1-2.5-5 per decade so that a p99 read
/// from the buckets is within a factor of 2.5 of the truth anywhere in that range.
/// </summary>
public static class LatencyBuckets
{
    /// <summary>Boundaries for instruments in seconds (<c>s</c>).</summary>
    public static IReadOnlyList<double> Seconds { get; } =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Boundaries for instruments in milliseconds (<c>ms</c>).</summary>
    public static IReadOnlyList<double> Milliseconds { get; } = [.. Seconds.Select(s => s * 1000)];

    /// <summary>The boundaries for a histogram of <paramref name="unit"/>, or null when it is not a duration.</summary>
    public static double[]? For(string? unit) => unit switch
    {
        "s" => [.. Seconds],
        "ms" => [.. Milliseconds],
        _ => null,
    };
}
