using System.Collections.Concurrent;
using Arbor.Rpc.Diagnostics;

namespace Arbor.Rpc.Accounting;

/// <summary>
/// Bytes written and read on the real sockets of one client target or one server endpoint, as the
/// network interface sees them: after HTTP/2 framing, HPACK and TLS. Thread-safe and cheap
/// (one interlocked add per socket read or write). Counters obtained from <see cref="Client"/> and
/// <see cref="Server"/> are also published as <c>System.Diagnostics.Metrics</c> instruments (see
/// <see cref="RpcMetrics"/>).
/// </summary>
public sealed class ByteCounters
{
    private readonly ConcurrentDictionary<long, ConnectionByteCounter> _open = new();
    private long _sent;
    private long _received;
    private long _opened;

    /// <summary>Creates counters that are not published as metrics (for tests and private use).</summary>
    public ByteCounters(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The target (client) or endpoint (server) these counters describe.</summary>
    public string Name { get; }

    /// <summary>The published counters of a client target (e.g. <c>127.0.0.1:5001</c>); one instance per target.</summary>
    public static ByteCounters Client(string target) => RpcMetrics.ClientCounters(target);

    /// <summary>The published counters of a server endpoint; one instance per endpoint name.</summary>
    public static ByteCounters Server(string endpoint) => RpcMetrics.ServerCounters(endpoint);

    /// <summary>The totals now.</summary>
    public ByteCountSnapshot Snapshot() =>
        new(Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Interlocked.Read(ref _opened), _open.Count);

    /// <summary>The connections open now, with their own byte counts.</summary>
    public IReadOnlyList<ConnectionByteCounter> OpenConnections() => [.. _open.Values];

    /// <summary>Starts counting a new connection; dispose the result when it closes.</summary>
    public ConnectionByteCounter OpenConnection(string? remote = null)
    {
        var id = Interlocked.Increment(ref _opened);
        var connection = new ConnectionByteCounter(this, id, remote);
        _open[id] = connection;
        return connection;
    }

    internal void RecordSent(long count) => Interlocked.Add(ref _sent, count);

    internal void RecordReceived(long count) => Interlocked.Add(ref _received, count);

    internal void Close(ConnectionByteCounter connection) => _open.TryRemove(connection.Id, out _);
}
