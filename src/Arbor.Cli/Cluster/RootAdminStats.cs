using System.Text.Json;

namespace Arbor.Cli.Cluster;

/// <summary>The cumulative counters of a root's <c>/admin/stats</c> that the benchmark turns into deltas.</summary>
public sealed record RootAdminStats(long Requests, long Errors, long Candidates, long TrimmedCalls, long UntrimmedCalls, long LeafBytesSent, long LeafBytesReceived, double CpuSeconds, long LeafValueBytes = 0)
{
    public static RootAdminStats Parse(JsonElement json) => new(
        json.GetProperty("requests").GetInt64(),
        json.GetProperty("errors").GetInt64(),
        json.GetProperty("candidates").GetInt64(),
        json.GetProperty("trimmed_calls").GetInt64(),
        json.GetProperty("untrimmed_calls").GetInt64(),
        json.GetProperty("leaf_bytes_sent").GetInt64(),
        json.GetProperty("leaf_bytes_received").GetInt64(),
        json.GetProperty("cpu_seconds").GetDouble(),
        // Builds from before the field: no figure.
        json.TryGetProperty("leaf_value_bytes", out var values) ? values.GetInt64() : 0);

    /// <summary>What happened between <paramref name="earlier"/> and this snapshot.</summary>
    public RootAdminStats Since(RootAdminStats earlier) => new(
        Requests - earlier.Requests,
        Errors - earlier.Errors,
        Candidates - earlier.Candidates,
        TrimmedCalls - earlier.TrimmedCalls,
        UntrimmedCalls - earlier.UntrimmedCalls,
        LeafBytesSent - earlier.LeafBytesSent,
        LeafBytesReceived - earlier.LeafBytesReceived,
        CpuSeconds - earlier.CpuSeconds,
        LeafValueBytes - earlier.LeafValueBytes);
}
