using Arbor.Cli.Cluster;

namespace Arbor.Cli.Bench;

/// <summary>A mode's cumulative counters at one instant: the root's admin stats and the CPU of its root and leaf processes.</summary>
public sealed record ModeSnapshot(RootAdminStats Stats, TimeSpan RootCpu, TimeSpan LeafCpu)
{
    public static async Task<Dictionary<BenchMode, ModeSnapshot>> TakeAsync(ServingCluster cluster, IEnumerable<BenchMode> modes, CancellationToken cancellationToken)
    {
        var snapshots = new Dictionary<BenchMode, ModeSnapshot>();
        foreach (var mode in modes)
        {
            var root = cluster.RootOf(mode);
            var stats = await root.ReadStatsAsync(cancellationToken);
            var leafCpu = cluster.LeavesOf(mode).Aggregate(TimeSpan.Zero, (sum, leaf) => sum + leaf.Process.CpuTime);
            snapshots[mode] = new ModeSnapshot(stats, root.Process.CpuTime, leafCpu);
        }

        return snapshots;
    }

    /// <summary>Turns the counters between two snapshots and the driver's tally into the mode's report line.</summary>
    public static BenchModeResult Measure(BenchMode mode, ModeSnapshot before, ModeSnapshot after, ModeTally tally, TimeSpan elapsed, bool leafCpuAttributable)
    {
        var delta = after.Stats.Since(before.Stats);
        var candidates = Math.Max(delta.Candidates, 1);
        var requests = Math.Max(delta.Requests, 1);
        return new BenchModeResult
        {
            Mode = mode.Name,
            Trimming = mode.Trimming,
            Compression = mode.Compression,
            Requests = tally.Completed,
            Candidates = tally.Candidates,
            Errors = tally.Errors + delta.Errors,
            Unfinished = tally.Unfinished,
            LeafInboundBytesPerCandidate = (double)delta.LeafBytesSent / candidates,
            LeafInboundBytesPerRequest = (double)delta.LeafBytesSent / requests,
            ValueBytesPerCandidate = delta.LeafValueBytes > 0 ? (double)delta.LeafValueBytes / candidates : null,
            LeafCallsPerRequest = (double)(delta.TrimmedCalls + delta.UntrimmedCalls) / requests,
            RootCpuUsPerCandidate = (after.RootCpu - before.RootCpu).TotalMicroseconds / candidates,
            LeafCpuUsPerCandidate = leafCpuAttributable ? (after.LeafCpu - before.LeafCpu).TotalMicroseconds / candidates : null,
            P50Ms = tally.Latencies.Percentile(50),
            P90Ms = tally.Latencies.Percentile(90),
            P99Ms = tally.Latencies.Percentile(99),
            CandidatesPerS = tally.Candidates / Math.Max(elapsed.TotalSeconds, 1e-9),
            ScoresCompared = tally.Compared,
            ScoreMismatches = tally.Mismatches,
            ScoresMatch = tally.Mismatches == 0 && tally.Errors == 0 && delta.Errors == 0 && tally.Compared > 0,
            FirstMismatch = tally.FirstMismatch,
            FirstError = tally.FirstError,
        };
    }
}
