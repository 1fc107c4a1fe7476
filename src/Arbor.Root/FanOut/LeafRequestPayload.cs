using System.Buffers;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Wire;
using Arbor.Rpc.Marshalling;

namespace Arbor.Root.FanOut;

/// <summary>
/// A leaf request written straight into the RPC layer's send buffer from the request's encoded
/// columns: the trim is a choice of columns, and no column is serialized again per leaf. An
/// unbatched request ends with <c>unbatched = true</c> (field 8): the leaf runs it in a forward of its own.
/// </summary>
internal sealed class LeafRequestPayload(LeafRequestHeader header, EncodedBatch batch, TrimDecision decision, bool unbatched = false) : IRpcPayload
{
    // Field 8 (unbatched), wire type varint, value 1.
    private static ReadOnlySpan<byte> UnbatchedField => [8 << 3, 1];

    private int _length = -1;

    /// <summary>The exact serialized size (measured once, before the runtime sizes its send buffer).</summary>
    public int Length => _length >= 0 ? _length : _length = LeafRequestWriter.Measure(header, batch, decision) + (unbatched ? UnbatchedField.Length : 0);

    /// <summary>What the last write carried and removed (for metrics).</summary>
    public LeafRequestWriteResult Result { get; private set; }

    public void WriteTo(IBufferWriter<byte> destination)
    {
        var result = LeafRequestWriter.Write(destination, header, batch, decision);
        if (unbatched)
        {
            destination.Write(UnbatchedField);
            result = result with { MessageBytes = result.MessageBytes + UnbatchedField.Length };
        }

        Result = result;
    }
}
