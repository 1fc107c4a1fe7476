using Arbor.Rpc.Compression;
using Arbor.Rpc.Status;

namespace Arbor.Rpc.Wire;

/// <summary>
/// Writes one framed message into a pooled buffer: header, then the payload, compressed when a
/// codec is given, the payload reaches the threshold, and compression actually makes it smaller.
/// </summary>
internal static class MessageEncoder
{
    /// <summary>Frames <paramref name="payload"/> into <paramref name="frame"/> (which must be empty).</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the message exceeds <paramref name="maxMessageSize"/>.</exception>
    public static void Encode(IRpcPayload payload, PooledBufferWriter frame, ICompressionCodec? codec, int compressionThreshold, int maxMessageSize)
    {
        frame.Advance(GrpcProtocol.FrameHeaderSize);
        payload.WriteTo(frame);
        Complete(frame, codec, compressionThreshold, maxMessageSize);
    }

    /// <summary>Frames <paramref name="message"/> into <paramref name="frame"/> (which must be empty).</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the message exceeds <paramref name="maxMessageSize"/>.</exception>
    public static void Encode(Google.Protobuf.IMessage message, PooledBufferWriter frame, ICompressionCodec? codec, int compressionThreshold, int maxMessageSize)
    {
        frame.Advance(GrpcProtocol.FrameHeaderSize);
        Google.Protobuf.MessageExtensions.WriteTo(message, frame);
        Complete(frame, codec, compressionThreshold, maxMessageSize);
    }

    private static void Complete(PooledBufferWriter frame, ICompressionCodec? codec, int compressionThreshold, int maxMessageSize)
    {
        var length = frame.WrittenCount - GrpcProtocol.FrameHeaderSize;
        if (length > maxMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Message of {length} bytes exceeds the send limit of {maxMessageSize} bytes.");
        }

        if (codec is not null && length >= compressionThreshold && length > 0)
        {
            using var compressed = new PooledBufferWriter(length / 2 + 64);
            var compressedLength = codec.Compress(frame.WrittenSpan[GrpcProtocol.FrameHeaderSize..], compressed);
            if (compressedLength < length)
            {
                frame.Reset();
                frame.Advance(GrpcProtocol.FrameHeaderSize);
                compressed.WrittenSpan.CopyTo(frame.GetSpan(compressedLength));
                frame.Advance(compressedLength);
                MessageFrame.WriteHeader(frame.WrittenSpan, compressed: true, compressedLength);
                return;
            }
        }

        MessageFrame.WriteHeader(frame.WrittenSpan, compressed: false, length);
    }
}
