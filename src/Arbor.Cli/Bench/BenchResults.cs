namespace Arbor.Cli.Bench;

/// <summary>Helpers over a run's mode lines.</summary>
public static class BenchResults
{
    /// <summary>Fills each mode's bytes ratio against the untrimmed mode.</summary>
    public static List<BenchModeResult> WithRatios(IReadOnlyList<BenchModeResult> modes)
    {
        var baseline = modes.FirstOrDefault(m => m.Mode == BenchMode.Untrimmed.Name);
        return modes.Select(m => m with
        {
            BytesVsUntrimmed = baseline is { LeafInboundBytesPerCandidate: > 0 } ? m.LeafInboundBytesPerCandidate / baseline.LeafInboundBytesPerCandidate : null,
        }).ToList();
    }
}
