using System.Buffers;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Wire;
using Arbor.Rpc.Marshalling;

namespace Arbor.Root.FanOut;

/// <summary>
/// A leaf request written straight into the RPC layer's send buffer from the request's encoded
/// columns: the trim is a choice of columns, and no column is serialized again per leaf.
/// </summary>
internal sealed class LeafRequestPayload(LeafRequestHeader header, EncodedBatch batch, TrimDecision decision) : IRpcPayload
{
    private int _length = -1;

    /// <summary>The exact serialized size (measured once, before the runtime sizes its send buffer).</summary>
    public int Length => _length >= 0 ? _length : _length = LeafRequestWriter.Measure(header, batch, decision);

    /// <summary>What the last write carried and removed (for metrics).</summary>
    public LeafRequestWriteResult Result { get; private set; }

    public void WriteTo(IBufferWriter<byte> destination) =>
        Result = LeafRequestWriter.Write(destination, header, batch, decision);
}
