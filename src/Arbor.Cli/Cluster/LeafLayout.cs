namespace Arbor.Cli.Cluster;

/// <summary>Whether every mode's root gets its own leaves (leaf CPU attributable per mode) or all roots share one set.</summary>
public enum LeafLayout
{
    /// <summary>One leaf per partition per mode.</summary>
    PerMode,

    /// <summary>One leaf per partition, shared by every root.</summary>
    Shared,
}
