namespace Arbor.Release.Verification;

/// <summary>One model's counters at a root (from <c>/admin/stats</c> <c>models</c>): results and server errors since start, p99 of its successful leaf calls over the last minute.</summary>
public sealed record RootModelStats(long Results, long Errors, double P99Ms);
