namespace Arbor.Cli.Bench;

/// <summary>The ratios the benchmark exists to show, each against the untrimmed baseline (null when a mode did not run).</summary>
public sealed record BenchSummary
{
    public double? TrimmedBytesRatio { get; init; }

    public double? TrimmedLz4BytesRatio { get; init; }

    public double? TrimmedZstdBytesRatio { get; init; }

    public double? Lz4BytesRatio { get; init; }

    public double? ZstdBytesRatio { get; init; }

    public double? TrimmedRootCpuRatio { get; init; }

    public double? Lz4RootCpuRatio { get; init; }

    public double? TrimmedP99Ratio { get; init; }

    public double? TrimmedMaxThroughputRatio { get; init; }

    /// <summary>Shadow verification's cost at the root's default fraction, from the trimmed and untrimmed modes (null unless both ran).</summary>
    public ShadowCost? Shadow { get; init; }

    /// <summary>Share of compared responses that matched the baseline bit for bit, over all modes.</summary>
    public required double ScoreParity { get; init; }

    public static BenchSummary From(IReadOnlyList<BenchModeResult> modes)
    {
        var baseline = modes.FirstOrDefault(m => m.Mode == BenchMode.Untrimmed.Name);
        BenchModeResult? Find(string name) => modes.FirstOrDefault(m => m.Mode == name);
        double? Ratio(string name, Func<BenchModeResult, double?> metric) =>
            baseline is not null && Find(name) is { } mode && metric(mode) is { } value && metric(baseline) is { } reference && reference > 0 ? value / reference : null;

        var compared = modes.Sum(m => m.ScoresCompared);
        var mismatched = modes.Sum(m => m.ScoreMismatches);
        return new BenchSummary
        {
            TrimmedBytesRatio = Ratio("trimmed", m => m.LeafInboundBytesPerCandidate),
            TrimmedLz4BytesRatio = Ratio("trimmed+lz4", m => m.LeafInboundBytesPerCandidate),
            TrimmedZstdBytesRatio = Ratio("trimmed+zstd", m => m.LeafInboundBytesPerCandidate),
            Lz4BytesRatio = Ratio("lz4", m => m.LeafInboundBytesPerCandidate),
            ZstdBytesRatio = Ratio("zstd", m => m.LeafInboundBytesPerCandidate),
            TrimmedRootCpuRatio = Ratio("trimmed", m => m.RootCpuUsPerCandidate),
            Lz4RootCpuRatio = Ratio("lz4", m => m.RootCpuUsPerCandidate),
            TrimmedP99Ratio = Ratio("trimmed", m => m.P99Ms),
            TrimmedMaxThroughputRatio = Ratio("trimmed", m => m.MaxCandidatesPerS),
            Shadow = baseline is not null && Find("trimmed") is { } trimmed ? ShadowCost.Estimate(trimmed, baseline, ShadowCost.DefaultFraction) : null,
            ScoreParity = compared == 0 ? 0 : (double)(compared - mismatched) / compared,
        };
    }
}
