namespace Arbor.Rpc.Accounting;

/// <summary>Byte and connection totals of a <see cref="ByteCounters"/> at one moment.</summary>
/// <param name="BytesSent">Bytes written to sockets (after HTTP/2 framing and TLS).</param>
/// <param name="BytesReceived">Bytes read from sockets (after HTTP/2 framing and TLS).</param>
/// <param name="ConnectionsOpened">Connections opened since the counters were created.</param>
/// <param name="ConnectionsActive">Connections open now.</param>
public readonly record struct ByteCountSnapshot(long BytesSent, long BytesReceived, long ConnectionsOpened, long ConnectionsActive)
{
    /// <summary>The traffic between two snapshots (active connections: those of the later one).</summary>
    public static ByteCountSnapshot operator -(ByteCountSnapshot later, ByteCountSnapshot earlier) =>
        new(later.BytesSent - earlier.BytesSent, later.BytesReceived - earlier.BytesReceived,
            later.ConnectionsOpened - earlier.ConnectionsOpened, later.ConnectionsActive);

    /// <summary>The traffic between two snapshots.</summary>
    public static ByteCountSnapshot Subtract(ByteCountSnapshot later, ByteCountSnapshot earlier) => later - earlier;
}
