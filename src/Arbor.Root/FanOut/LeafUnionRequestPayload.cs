using System.Buffers;
using Arbor.Features.Requests;
using Arbor.Rpc.Marshalling;

namespace Arbor.Root.FanOut;

/// <summary>A union leaf request written straight into the RPC layer's send buffer from the request's encoded columns.</summary>
internal sealed class LeafUnionRequestPayload(LeafUnionRequest request) : IRpcPayload
{
    public LeafUnionRequest Request => request;

    public int Length => request.MessageBytes;

    public void WriteTo(IBufferWriter<byte> destination) => request.Write(destination);
}
