using System.Net;
using System.Net.Sockets;

namespace Arbor.Testing;

/// <summary>Hands out free TCP ports on the loopback interface.</summary>
public static class LoopbackPort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
