using Arbor.Rpc.Server;

namespace Arbor.Cli.Cluster;

/// <summary>Hands out TCP ports for the cluster's processes (<see cref="LoopbackPorts"/>: below the ephemeral range, reserved across processes).</summary>
public sealed class PortAllocator
{
    public int Next() => LoopbackPorts.Next();
}
