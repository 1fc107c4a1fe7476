using System.Buffers;
using Google.Protobuf;

namespace Arbor.Rpc.Wire;

/// <summary>Ready-made <see cref="IRpcPayload"/> implementations.</summary>
public static class RpcPayload
{
    /// <summary>A payload of bytes that already hold a serialized message.</summary>
    public static IRpcPayload FromBytes(ReadOnlyMemory<byte> serialized) => new BytesPayload(serialized);

    /// <summary>A payload that serializes <paramref name="message"/> when written.</summary>
    public static IRpcPayload FromMessage(IMessage message) => new MessagePayload(message);

    private sealed class BytesPayload(ReadOnlyMemory<byte> bytes) : IRpcPayload
    {
        public int LengthHint => bytes.Length;

        public void WriteTo(IBufferWriter<byte> destination) => destination.Write(bytes.Span);
    }

    private sealed class MessagePayload(IMessage message) : IRpcPayload
    {
        public void WriteTo(IBufferWriter<byte> destination) => message.WriteTo(destination);
    }
}
