namespace Arbor.Root.Configuration;

/// <summary>
/// The root's routing configuration file (<c>arbor.root/v1</c>): which models each surface uses,
/// which leaf partition serves each model, and the experiments that divert a stable share of users.
/// Reloaded at run time; a request reads one <see cref="Routing.RoutingTable"/> for its whole life.
/// </summary>
public sealed record RootConfig
{
    public const string SchemaV1 = "arbor.root/v1";

    public string Schema { get; init; } = SchemaV1;

    /// <summary>Partition name → its replicas.</summary>
    public Dictionary<string, PartitionConfig> Partitions { get; init; } = [];

    /// <summary>Model name → where and how it is served.</summary>
    public Dictionary<string, ModelRouteConfig> Models { get; init; } = [];

    /// <summary>Surface name → its models and experiments.</summary>
    public Dictionary<string, SurfaceConfig> Surfaces { get; init; } = [];
}

/// <summary>One leaf partition: the replicas (base addresses) that serve it.</summary>
public sealed record PartitionConfig
{
    public List<string> Endpoints { get; init; } = [];
}

/// <summary>How the root reaches and calls one model.</summary>
public sealed record ModelRouteConfig
{
    /// <summary>The partition that serves the model.</summary>
    public string Partition { get; init; } = "";

    /// <summary>The version to request; empty means the leaf's default (latest serving) version.</summary>
    public string? Version { get; init; }

    /// <summary>Per-model switch: false sends this model the untrimmed batch.</summary>
    public bool? Trimming { get; init; }

    /// <summary>Per-model compression override (identity, gzip, lz4, zstd).</summary>
    public string? Compression { get; init; }
}

/// <summary>The models a surface scores with, and its experiments.</summary>
public sealed record SurfaceConfig
{
    public List<string> Models { get; init; } = [];

    public List<ExperimentConfig> Experiments { get; init; } = [];
}

/// <summary>
/// An experiment: a stable fraction of users (chosen by a salted hash of the user id) is scored by
/// <see cref="Model"/> as well as (<see cref="Replaces"/> unset) or instead of the named model.
/// </summary>
public sealed record ExperimentConfig
{
    public string Name { get; init; } = "";

    public string Model { get; init; } = "";

    /// <summary>The production model the variant replaces for the users in the experiment.</summary>
    public string? Replaces { get; init; }

    /// <summary>Share of users in the experiment, 0 to 1.</summary>
    public double Fraction { get; init; }

    /// <summary>Salt of the user hash; defaults to the experiment name so experiments are independent.</summary>
    public string? Salt { get; init; }
}
