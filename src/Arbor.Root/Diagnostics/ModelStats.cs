namespace Arbor.Root.Diagnostics;

/// <summary>One model's counters at the root: results and server errors since start, leaf-call latency of the last minute.</summary>
public sealed record ModelStats(string Model, long Results, long Errors, double P50Ms, double P99Ms);
