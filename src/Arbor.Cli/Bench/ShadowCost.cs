using Arbor.Root.Configuration;

namespace Arbor.Cli.Bench;

/// <summary>
/// What shadow verification costs at a fraction, from the measured trimmed and untrimmed modes
/// (same requests, same models): each sampled trimmed call is sent again once trimmed and once
/// untrimmed, so per candidate it adds the fraction of the two modes' bytes and leaf CPU, and per
/// request two calls for each sampled trimmed call.
/// </summary>
/// <param name="Fraction">The share of trimmed calls verified (<c>trimmer.shadow_fraction</c>).</param>
/// <param name="ExtraBytesPerCandidate">Root → leaf bytes per candidate the pairs add.</param>
/// <param name="ExtraBytesVsTrimmed">Those bytes over the trimmed mode's own.</param>
/// <param name="ExtraLeafCallsPerRequest">Leaf calls per request the pairs add.</param>
/// <param name="ExtraLeafCpuUsPerCandidate">Leaf CPU per candidate the pairs add; null when leaf CPU is not attributable to a mode.</param>
public sealed record ShadowCost(double Fraction, double ExtraBytesPerCandidate, double ExtraBytesVsTrimmed, double ExtraLeafCallsPerRequest, double? ExtraLeafCpuUsPerCandidate)
{
    /// <summary>The root's default fraction.</summary>
    public static double DefaultFraction { get; } = new TrimmerConfig().ShadowFraction;

    public static ShadowCost Estimate(BenchModeResult trimmed, BenchModeResult untrimmed, double fraction)
    {
        ArgumentNullException.ThrowIfNull(trimmed);
        ArgumentNullException.ThrowIfNull(untrimmed);
        var bytes = fraction * (trimmed.LeafInboundBytesPerCandidate + untrimmed.LeafInboundBytesPerCandidate);
        return new ShadowCost(
            fraction,
            bytes,
            trimmed.LeafInboundBytesPerCandidate > 0 ? bytes / trimmed.LeafInboundBytesPerCandidate : 0,
            2 * fraction * trimmed.LeafCallsPerRequest,
            trimmed.LeafCpuUsPerCandidate is { } t && untrimmed.LeafCpuUsPerCandidate is { } u ? fraction * (t + u) : null);
    }
}
