namespace Arbor.Rpc.Accounting;

/// <summary>
/// The bytes of one connection; every count also goes to the owning <see cref="ByteCounters"/>.
/// Dispose when the connection closes.
/// </summary>
public sealed class ConnectionByteCounter : IDisposable
{
    private readonly ByteCounters _owner;
    private long _sent;
    private long _received;
    private int _disposed;

    internal ConnectionByteCounter(ByteCounters owner, long id, string? remote)
    {
        _owner = owner;
        Id = id;
        Remote = remote;
    }

    /// <summary>The connection's number within its owner (1, 2, ...).</summary>
    public long Id { get; }

    /// <summary>The remote end point, when known.</summary>
    public string? Remote { get; }

    /// <summary>Bytes written to this connection's socket.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>Bytes read from this connection's socket.</summary>
    public long BytesReceived => Interlocked.Read(ref _received);

    /// <summary>Records <paramref name="count"/> bytes written to the socket.</summary>
    public void RecordSent(long count)
    {
        Interlocked.Add(ref _sent, count);
        _owner.RecordSent(count);
    }

    /// <summary>Records <paramref name="count"/> bytes read from the socket.</summary>
    public void RecordReceived(long count)
    {
        Interlocked.Add(ref _received, count);
        _owner.RecordReceived(count);
    }

    /// <summary>Marks the connection closed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner.Close(this);
        }
    }
}
