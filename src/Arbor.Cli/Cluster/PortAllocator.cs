using System.Net;
using System.Net.Sockets;

namespace Arbor.Cli.Cluster;

/// <summary>Hands out TCP ports for the cluster's processes: free ones from the kernel, never the same twice in one run.</summary>
public sealed class PortAllocator
{
    private readonly HashSet<int> _given = [];

    public int Next()
    {
        lock (_given)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (_given.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
