namespace Arbor.Release.Canary;

/// <summary>How much worse than production the canary may be.</summary>
public sealed record CanaryThresholds
{
    /// <summary>Canary error rate may exceed production's by at most this (absolute, 0.005 = 0.5 points).</summary>
    public double MaxErrorRateIncrease { get; init; } = 0.005;

    /// <summary>Canary p99 may be at most this multiple of production's...</summary>
    public double MaxP99Ratio { get; init; } = 1.5;

    /// <summary>...plus this many milliseconds (so tiny latencies don't fail on noise).</summary>
    public double P99SlackMs { get; init; } = 5;

    /// <summary>Canary leaf bytes per candidate may be at most this multiple of production's (a trimming gap multiplies them).</summary>
    public double MaxBytesPerCandidateRatio { get; init; } = 1.5;

    /// <summary>The canary's share of untrimmed leaf calls may exceed production's by at most this (absolute).</summary>
    public double MaxUntrimmedShareIncrease { get; init; } = 0.01;

    /// <summary>Fewer requests than this in either environment's window: not enough evidence, the analysis fails.</summary>
    public long MinRequests { get; init; } = 50;
}
