using System.Net;
using System.Net.Sockets;

namespace Arbor.Testing;

/// <summary>
/// Hands out free TCP ports on the loopback interface for servers a test starts (often in another
/// process, which binds the port a moment later). The ports come from below the kernel's ephemeral
/// range: a port the kernel picked for a listener on port 0 is in that range, where any outgoing
/// connection of a test running beside this one may take it as its source port before the server
/// binds it ("address already in use"). Never the same port twice in one process.
/// </summary>
public static class LoopbackPort
{
    private const int Lowest = 20000;
    private static readonly HashSet<int> Given = [];
    private static readonly int Highest = EphemeralLow() - 1;

    public static int Next()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(Lowest, Highest + 1);
                if (!Given.Contains(port) && IsFree(port))
                {
                    Given.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no free loopback port between {Lowest} and {Highest}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux: ip_local_port_range), 32768 where unknown.</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(range[0], out var low) && low > Lowest + 1000 ? low : 32768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 32768;
        }
    }
}
