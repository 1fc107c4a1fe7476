namespace Arbor.Root.Routing;

/// <summary>One model a request fans out to, resolved from the routing table.</summary>
/// <param name="Model">The model name.</param>
/// <param name="Version">The version to request; null or empty lets the leaf choose its default.</param>
/// <param name="Partition">The leaf partition that serves the model.</param>
/// <param name="Trimming">Per-model trimming switch; null follows the global setting.</param>
/// <param name="Compression">Per-model compression; null follows the global setting.</param>
/// <param name="Experiment">The experiment that routed the request here, if any.</param>
public sealed record ModelRoute(
    string Model,
    string? Version,
    string Partition,
    bool? Trimming = null,
    string? Compression = null,
    string? Experiment = null);
