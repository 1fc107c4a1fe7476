using System.Net;
using System.Net.Sockets;

namespace Arbor.Rpc.Server;

/// <summary>
/// Free TCP ports on the loopback interface for servers started a moment later, often by another
/// process (bench clusters, <c>arbor up</c>, tests). Two rules keep a picked port free until it is bound:
/// <list type="bullet">
/// <item>ports come from below the kernel's ephemeral range: a port the kernel picks for a listener on
/// port 0 lies in that range, where any outgoing connection may take it as its source port first;</item>
/// <item>a port is reserved across processes for the picking process's lifetime by an exclusive lock
/// on a file named after it (in <c>$TMPDIR/arbor-ports</c>): processes picking side by side (test
/// projects run in parallel, benches beside them) never hand out the same port. The lock goes with
/// the process.</item>
/// </list>
/// Never the same port twice in one process.
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 20000;
    private static readonly int Highest = EphemeralLow() - 1;
    private static readonly Dictionary<int, Reservation> Reserved = [];
    private static readonly string LockDirectory = Path.Combine(Path.GetTempPath(), "arbor-ports");

    public static int Next()
    {
        lock (Reserved)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(Lowest, Highest + 1);
                if (Reserved.ContainsKey(port) || TryReserve(port) is not { } reservation)
                {
                    continue;
                }

                if (IsFree(port))
                {
                    Reserved.Add(port, reservation);
                    return port;
                }

                reservation.Dispose();
            }
        }

        throw new InvalidOperationException($"no free loopback port between {Lowest} and {Highest}");
    }

    /// <summary>The port's lock (held for the process's lifetime), a null lock where locking is not possible, or nothing when another process holds it.</summary>
    private static Reservation? TryReserve(int port)
    {
        try
        {
            Directory.CreateDirectory(LockDirectory);
            return new Reservation(new FileStream(Path.Combine(LockDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException) when (File.Exists(Path.Combine(LockDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture))))
        {
            return null; // locked by another process
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Reservation(null); // no usable lock directory: in-process uniqueness only
        }
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

    private sealed record Reservation(FileStream? Lock) : IDisposable
    {
        public void Dispose() => Lock?.Dispose();
    }
}
