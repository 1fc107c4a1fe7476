using Arbor.Release.Verification;

namespace Arbor.Release.Canary;

/// <summary>Runs a canary analysis against live roots: snapshots both environments' counters, waits the window, snapshots again, compares.</summary>
public sealed class CanaryAnalyzer(RootAdminClient roots, TimeProvider timeProvider)
{
    public async Task<CanaryVerdict> RunAsync(
        IReadOnlyList<Uri> canaryRoots, IReadOnlyList<Uri> productionRoots, TimeSpan window, CanaryThresholds thresholds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canaryRoots);
        ArgumentNullException.ThrowIfNull(productionRoots);
        if (canaryRoots.Count == 0 || productionRoots.Count == 0)
        {
            throw new ArgumentException("Canary analysis needs at least one canary root and one production root.");
        }

        var canaryBefore = await SnapshotAsync(canaryRoots, cancellationToken).ConfigureAwait(false);
        var productionBefore = await SnapshotAsync(productionRoots, cancellationToken).ConfigureAwait(false);
        await Task.Delay(window, timeProvider, cancellationToken).ConfigureAwait(false);
        var canaryAfter = await SnapshotAsync(canaryRoots, cancellationToken).ConfigureAwait(false);
        var productionAfter = await SnapshotAsync(productionRoots, cancellationToken).ConfigureAwait(false);
        return CanaryAnalysis.Evaluate(
            TrafficWindow.Between(canaryBefore, canaryAfter),
            TrafficWindow.Between(productionBefore, productionAfter),
            thresholds);
    }

    private async Task<IReadOnlyList<RootStats>> SnapshotAsync(IReadOnlyList<Uri> uris, CancellationToken cancellationToken) =>
        await Task.WhenAll(uris.Select(u => SnapshotAsync(u, cancellationToken))).ConfigureAwait(false);

    /// <summary>A root's counters and its shadow verification tallies.</summary>
    private async Task<RootStats> SnapshotAsync(Uri root, CancellationToken cancellationToken)
    {
        var stats = await roots.GetStatsAsync(root, cancellationToken).ConfigureAwait(false);
        return stats with { Shadow = await roots.GetShadowAsync(root, cancellationToken).ConfigureAwait(false) };
    }
}
