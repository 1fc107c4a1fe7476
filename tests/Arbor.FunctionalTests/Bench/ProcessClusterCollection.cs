using Xunit;

namespace Arbor.FunctionalTests.Bench;

/// <summary>
/// Tests that start a whole cluster of processes and measure it run alone: they would skew each
/// other's timings and slow down timing-sensitive tests running beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessClusterCollection
{
    public const string Name = "process cluster";
}
