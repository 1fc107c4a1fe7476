using Arbor.Rpc.Server;

namespace Arbor.Testing;

/// <summary>Free TCP ports on the loopback interface for servers a test starts (<see cref="LoopbackPorts"/>: below the ephemeral range, reserved across processes).</summary>
public static class LoopbackPort
{
    public static int Next() => LoopbackPorts.Next();
}
