namespace Arbor.Release.Canary;

/// <summary>One model's traffic in a window, summed over an environment's roots: results, server errors, and the worst root's p99 of its successful leaf calls.</summary>
public sealed record ModelWindow(long Results, long Errors, double P99Ms)
{
    public double ErrorRate => Results == 0 ? 0 : (double)Errors / Results;
}
