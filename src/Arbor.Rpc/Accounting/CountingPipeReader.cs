using System.Buffers;
using System.IO.Pipelines;

namespace Arbor.Rpc.Accounting;

/// <summary>
/// Counts the bytes a connection's transport delivers: each byte is counted once, when a read
/// first returns it (bytes a reader leaves unconsumed come back in the next read and are not
/// counted again).
/// </summary>
internal sealed class CountingPipeReader(PipeReader inner, ConnectionByteCounter counter) : PipeReader
{
    // Length of the buffer the last read returned that the caller left unconsumed.
    private long _carried;
    private ReadOnlySequence<byte> _last;

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _carried = _last.Slice(consumed).Length;
        _last = default;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Count(read.Result)) : CountAsync(read);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        result = Count(result);
        return true;
    }

    // Pooled: a read that waits for the network is the common case on an idle connection.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> CountAsync(ValueTask<ReadResult> read) => Count(await read.ConfigureAwait(false));

    private ReadResult Count(ReadResult result)
    {
        var length = result.Buffer.Length;
        if (length > _carried)
        {
            counter.RecordReceived(length - _carried);
        }

        _carried = length;
        _last = result.Buffer;
        return result;
    }
}
