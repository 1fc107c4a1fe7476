using System.Buffers;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Status;
using Google.Protobuf;

namespace Arbor.Rpc.Wire;

/// <summary>Turns a received frame payload into a message: decompresses when its flag says so, then parses.</summary>
internal static class MessageDecoder
{
    /// <summary>Parses one message payload.</summary>
    /// <param name="payload">The payload after the frame header.</param>
    /// <param name="compressed">The frame's compressed flag.</param>
    /// <param name="codec">The codec of the stream's <c>grpc-encoding</c>, or null for identity.</param>
    /// <param name="maxMessageSize">The limit on the decompressed size.</param>
    /// <param name="parser">The message parser.</param>
    public static T Decode<T>(in ReadOnlySequence<byte> payload, bool compressed, ICompressionCodec? codec, int maxMessageSize, MessageParser<T> parser)
        where T : IMessage<T>
    {
        if (!compressed)
        {
            return Parse(parser, payload);
        }

        if (codec is null)
        {
            throw new RpcException(StatusCode.Internal, "A message is flagged compressed but the call's grpc-encoding is identity.");
        }

        byte[]? rented = null;
        try
        {
            ReadOnlyMemory<byte> source;
            if (payload.IsSingleSegment)
            {
                source = payload.First;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
                payload.CopyTo(rented);
                source = rented.AsMemory(0, (int)payload.Length);
            }

            using var decompressed = new PooledBufferWriter(Math.Min(maxMessageSize, Math.Max((int)payload.Length * 4, 1024)));
            codec.Decompress(source, decompressed, maxMessageSize);
            return Parse(parser, decompressed.WrittenSpan);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static T Parse<T>(MessageParser<T> parser, in ReadOnlySequence<byte> bytes)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, $"Failed to parse {typeof(T).Name}: {e.Message}");
        }
    }

    private static T Parse<T>(MessageParser<T> parser, ReadOnlySpan<byte> bytes)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, $"Failed to parse {typeof(T).Name}: {e.Message}");
        }
    }
}
