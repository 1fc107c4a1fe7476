namespace Arbor.Release.Canary;

/// <summary>
/// One model's traffic in a window, summed over an environment's roots: results, server errors, the
/// worst root's p99 of its successful leaf calls, and shadow verification's pairs and mismatches
/// (trimmed calls whose untrimmed twin scored differently).
/// </summary>
public sealed record ModelWindow(long Results, long Errors, double P99Ms, long ShadowSamples = 0, long ShadowMismatches = 0)
{
    public double ErrorRate => Results == 0 ? 0 : (double)Errors / Results;
}
