using System.Buffers;

namespace Arbor.Rpc.Marshalling;

/// <summary>A request already serialized to bytes, sent as it is.</summary>
public sealed class BytesPayload(ReadOnlyMemory<byte> bytes) : IRpcPayload
{
    /// <inheritdoc />
    public int Length => bytes.Length;

    /// <inheritdoc />
    public void WriteTo(IBufferWriter<byte> destination) => destination.Write(bytes.Span);
}
