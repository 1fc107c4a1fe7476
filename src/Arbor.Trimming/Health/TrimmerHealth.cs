using Arbor.Trimming.Bundles;

namespace Arbor.Trimming.Health;

/// <summary>
/// The trimmer's health in one line plus one per bundle. Never "unhealthy": a trimmer problem means
/// bigger requests, not wrong scores, and must not take a root out of rotation.
/// </summary>
/// <param name="IsHealthy">True while every bundle's map matches its file and no leaf refused an allowlist of the current snapshot.</param>
/// <param name="Summary">One line for people.</param>
/// <param name="Bundles">Bundle id → state and, when not active, why and for how long.</param>
public sealed record TrimmerHealth(bool IsHealthy, string Summary, IReadOnlyDictionary<string, string> Bundles)
{
    /// <summary>Summarizes a status.</summary>
    public static TrimmerHealth From(TrimmerStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        var notActive = 0;
        foreach (var bundle in status.Bundles)
        {
            if (bundle.State == BundleState.Active)
            {
                details[bundle.Id] = "active";
                continue;
            }

            notActive++;
            var consequence = bundle.State == BundleState.Stale ? "previous map in use" : "models untrimmed";
            details[bundle.Id] = $"{bundle.State.ToString().ToLowerInvariant()} for {bundle.StalenessSeconds:0}s ({consequence}): {bundle.LastError}";
        }

        var summary = notActive == 0
            ? $"{status.Bundles.Count} bundles active, {status.Models} models with allowlists"
            : $"{notActive} of {status.Bundles.Count} bundles not active: {string.Join("; ", details.Where(d => d.Value != "active").Select(d => $"{d.Key} {d.Value}"))}";
        var stale = status.Gaps.Where(g => g.Stale).Select(g => $"{g.Model} version {g.AllowlistVersion}").ToList();
        if (stale.Count > 0)
        {
            summary += $"; stale allowlists (leaves serve versions that use more features; sent untrimmed): {string.Join(", ", stale)}";
        }

        return new TrimmerHealth(notActive == 0 && stale.Count == 0, summary, details);
    }
}
