using Arbor.Rpc.Server;

namespace Arbor.Cli.Cluster;

/// <summary>Hands out TCP ports for the cluster's processes (<see cref="LoopbackPorts"/>: below the ephemeral range, reserved across processes).</summary>
public sealed class PortAllocator
{
#pragma warning disable CA1822 // an instance per cluster, so that callers can be given one
    public int Next() => LoopbackPorts.Next();
#pragma warning restore CA1822
}
