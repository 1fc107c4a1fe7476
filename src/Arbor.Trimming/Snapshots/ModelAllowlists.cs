using System.Collections.Frozen;
using Arbor.Features.Selection;

namespace Arbor.Trimming.Snapshots;

/// <summary>The allowlists of one model's versions, from one bundle. Immutable.</summary>
public sealed class ModelAllowlists
{
    /// <param name="model">The model name.</param>
    /// <param name="bundle">The bundle the allowlists come from.</param>
    /// <param name="latestVersion">The version used when a request names none or an unknown one.</param>
    /// <param name="versions">Version → allowlist; must contain <paramref name="latestVersion"/>.</param>
    public ModelAllowlists(string model, string bundle, string latestVersion, FrozenDictionary<string, ColumnAllowlist> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        if (!versions.TryGetValue(latestVersion, out var latest))
        {
            throw new ArgumentException($"Model '{model}': the latest version '{latestVersion}' has no allowlist.", nameof(latestVersion));
        }

        Model = model;
        Bundle = bundle;
        LatestVersion = latestVersion;
        Latest = latest;
        Versions = versions;
    }

    public string Model { get; }

    public string Bundle { get; }

    public string LatestVersion { get; }

    /// <summary>The latest version's allowlist.</summary>
    public ColumnAllowlist Latest { get; }

    public FrozenDictionary<string, ColumnAllowlist> Versions { get; }
}
