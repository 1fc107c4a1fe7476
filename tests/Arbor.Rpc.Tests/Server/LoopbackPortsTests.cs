using System.Globalization;
using Arbor.Rpc.Server;

namespace Arbor.Rpc.Tests.Server;

/// <summary>Picked ports are distinct, below the ephemeral range, and reserved against other processes until this one exits.</summary>
public sealed class LoopbackPortsTests
{
    [Fact]
    public void Next_GivesDistinctPortsBelowTheEphemeralRange_EachLockedAgainstOtherProcesses()
    {
        var ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);

        var ports = Enumerable.Range(0, 50).Select(_ => LoopbackPorts.Next()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1024, ephemeralLow - 1));
        foreach (var port in ports)
        {
            // What another process trying to reserve the same port meets: the lock is taken.
            var path = Path.Combine(Path.GetTempPath(), "arbor-ports", port.ToString(CultureInfo.InvariantCulture));
            Assert.Throws<IOException>(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None).Dispose());
        }
    }
}
