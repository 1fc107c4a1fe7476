using Arbor.Cli.Cluster;

namespace Arbor.Cli.Bench;

/// <summary>How to run the network benchmark.</summary>
public sealed record NetworkBenchOptions
{
    public required BenchScenario Scenario { get; init; }

    public required IReadOnlyList<BenchMode> Modes { get; init; }

    /// <summary>Bounds the whole run, cluster start-up included.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Offered requests per second per mode; null takes the scenario's (link mode: derived from the untrimmed capacity).</summary>
    public double? RequestsPerSecond { get; init; }

    public LeafLayout Leaves { get; init; } = LeafLayout.PerMode;

    public ClusterPlacement Placement { get; init; } = ClusterPlacement.Loopback;

    /// <summary>Where configs and the feature store are written.</summary>
    public required string WorkDirectory { get; init; }

    public int Seed { get; init; } = 7;

    /// <summary>The link's capacity when running on the shaped link (modes one at a time).</summary>
    public int? LinkMbit { get; init; }

    /// <summary>The command line, recorded in the report.</summary>
    public string Command { get; init; } = "";
}
