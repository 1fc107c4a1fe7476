using System.Net;
using System.Net.Sockets;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>
/// A raw TCP relay on loopback that forwards every connection to an upstream port and counts the
/// bytes in each direction: an independent witness of what crossed the "wire".
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private volatile IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private long _toUpstream;
    private long _fromUpstream;
    private int _open;

    public TcpRelay(IPEndPoint upstream)
    {
        _upstream = upstream;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Where new connections go (existing ones stay with their server).</summary>
    public IPEndPoint Upstream
    {
        get => _upstream;
        set => _upstream = value;
    }

    /// <summary>Bytes relayed from clients to the upstream server.</summary>
    public long ToUpstream => Interlocked.Read(ref _toUpstream);

    /// <summary>Bytes relayed from the upstream server to clients.</summary>
    public long FromUpstream => Interlocked.Read(ref _fromUpstream);

    /// <summary>Relayed connections not yet closed in both directions.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await server.ConnectAsync(_upstream, _stop.Token);
            client.NoDelay = true;
            Interlocked.Increment(ref _open);
            _ = RelayAsync(client, server);
        }
    }

    private async Task RelayAsync(Socket client, Socket server)
    {
        try
        {
            await Task.WhenAll(PumpAsync(client, server, up: true), PumpAsync(server, client, up: false));
        }
        finally
        {
            client.Dispose();
            server.Dispose();
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool up)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                Interlocked.Add(ref up ? ref _toUpstream : ref _fromUpstream, read);
            }
        }
        catch (SocketException)
        {
            // A reset ends the relay of this connection; bytes relayed so far stay counted.
            try
            {
                to.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
        }
    }
}
