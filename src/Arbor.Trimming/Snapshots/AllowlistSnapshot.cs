using System.Collections.Frozen;
using Arbor.Features.Selection;

namespace Arbor.Trimming.Snapshots;

/// <summary>
/// The consolidated map model → version → allowlist over every bundle, immutable. A request reads one
/// snapshot for its whole life; reloads publish a new one by a single reference swap.
/// </summary>
public sealed class AllowlistSnapshot
{
    /// <param name="models">Model → its allowlists.</param>
    /// <param name="generation">Increases with every published snapshot.</param>
    /// <param name="builtAt">When the snapshot was built.</param>
    public AllowlistSnapshot(FrozenDictionary<string, ModelAllowlists> models, long generation, DateTimeOffset builtAt)
    {
        Models = models ?? throw new ArgumentNullException(nameof(models));
        Generation = generation;
        BuiltAt = builtAt;
    }

    /// <summary>A snapshot with no allowlists: every request passes through untrimmed.</summary>
    public static AllowlistSnapshot Empty { get; } = new(FrozenDictionary<string, ModelAllowlists>.Empty, 0, DateTimeOffset.MinValue);

    public FrozenDictionary<string, ModelAllowlists> Models { get; }

    public long Generation { get; }

    public DateTimeOffset BuiltAt { get; }

    /// <summary>
    /// Resolves the allowlist for a model version: unknown model → untrimmed; version empty or unknown →
    /// the latest version's allowlist; otherwise that version's. Allocates nothing.
    /// </summary>
    public TrimDecision Lookup(string model, string? version)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!Models.TryGetValue(model, out var allowlists))
        {
            return TrimDecision.PassThrough(model);
        }

        if (string.IsNullOrEmpty(version))
        {
            return new TrimDecision(model, TrimOutcome.LatestUnspecified, allowlists.LatestVersion, allowlists.Latest);
        }

        return allowlists.Versions.TryGetValue(version, out var allowlist)
            ? new TrimDecision(model, TrimOutcome.Exact, version, allowlist)
            : new TrimDecision(model, TrimOutcome.LatestFallback, allowlists.LatestVersion, allowlists.Latest);
    }
}
