using Arbor.Root.Configuration;

namespace Arbor.Cli.Cluster;

/// <summary>What a <see cref="ReplicatedFleet"/> changes from its defaults.</summary>
public sealed record FleetOptions
{
    /// <summary>Changes the roots' config before they start (e.g. another feature store).</summary>
    public Func<RootConfig, RootConfig>? ConfigureRoot { get; init; }

    /// <summary>Extra environment of the root processes.</summary>
    public IReadOnlyDictionary<string, string>? RootEnvironment { get; init; }

    /// <summary>Leaves watch their repository (every second) and load versions that appear; off: they serve what they found at start.</summary>
    public bool WatchModels { get; init; }
}
