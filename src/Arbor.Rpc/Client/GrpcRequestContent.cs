using System.Net;
using Arbor.Rpc.Wire;

namespace Arbor.Rpc.Client;

/// <summary>
/// The body of a unary request: one already-framed message, written in one piece. Owns the pooled
/// frame buffer and returns it only once both the call is over (dispose) and no write is still
/// reading it (HTTP/2 may still be sending the body when an early error response completes the call).
/// </summary>
internal sealed class GrpcRequestContent : HttpContent
{
    private readonly PooledBufferWriter _frame;
    private int _users = 1;
    private int _disposed;

    public GrpcRequestContent(PooledBufferWriter frame)
    {
        _frame = frame;
        Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _users) <= 1)
        {
            throw new ObjectDisposedException(nameof(GrpcRequestContent));
        }

        try
        {
            await stream.WriteAsync(_frame.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    // Unknown length: no content-length header, as gRPC peers expect.
    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
        }

        base.Dispose(disposing);
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _users) == 0)
        {
            _frame.Dispose();
        }
    }
}
