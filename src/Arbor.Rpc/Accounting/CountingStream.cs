namespace Arbor.Rpc.Accounting;

/// <summary>
/// Wraps a connection's transport stream (below TLS and HTTP/2) and counts every byte read and
/// written. Disposing it closes the inner stream and marks the connection closed.
/// </summary>
public sealed class CountingStream(Stream inner, ConnectionByteCounter counter) : Stream
{
    /// <summary>The connection's counter.</summary>
    public ConnectionByteCounter Counter => counter;

    /// <inheritdoc />
    public override bool CanRead => inner.CanRead;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => inner.CanWrite;

    /// <inheritdoc />
    public override bool CanTimeout => inner.CanTimeout;

    /// <inheritdoc />
    public override int ReadTimeout
    {
        get => inner.ReadTimeout;
        set => inner.ReadTimeout = value;
    }

    /// <inheritdoc />
    public override int WriteTimeout
    {
        get => inner.WriteTimeout;
        set => inner.WriteTimeout = value;
    }

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

    /// <inheritdoc />
    public override int ReadByte()
    {
        var b = inner.ReadByte();
        if (b >= 0)
        {
            counter.RecordReceived(1);
        }

        return b;
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(buffer, cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<int>(Counted(read.Result)) : CountedAsync(read);
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        counter.RecordSent(count);
        inner.Write(buffer, offset, count);
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        counter.RecordSent(buffer.Length);
        inner.Write(buffer);
    }

    /// <inheritdoc />
    public override void WriteByte(byte value)
    {
        counter.RecordSent(1);
        inner.WriteByte(value);
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Counted when handed to the socket, not when the write completes: by then the peer may
        // have answered, and a caller reading the counters after its call would miss its last bytes.
        counter.RecordSent(buffer.Length);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Flush() => inner.Flush();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    // Pooled: a read that waits for the network is the common case on an idle connection.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> CountedAsync(ValueTask<int> read) => Counted(await read.ConfigureAwait(false));

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            counter.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        counter.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int Counted(int read)
    {
        if (read > 0)
        {
            counter.RecordReceived(read);
        }

        return read;
    }
}
