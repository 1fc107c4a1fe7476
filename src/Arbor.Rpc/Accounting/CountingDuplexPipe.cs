using System.IO.Pipelines;

namespace Arbor.Rpc.Accounting;

/// <summary>A connection transport whose reads and writes are counted.</summary>
internal sealed class CountingDuplexPipe(IDuplexPipe inner, ConnectionByteCounter counter) : IDuplexPipe
{
    public PipeReader Input { get; } = new CountingPipeReader(inner.Input, counter);

    public PipeWriter Output { get; } = new CountingPipeWriter(inner.Output, counter);
}
