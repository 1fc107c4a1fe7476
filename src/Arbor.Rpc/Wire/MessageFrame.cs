using System.Buffers;
using System.Buffers.Binary;
using Arbor.Rpc.Status;

namespace Arbor.Rpc.Wire;

/// <summary>
/// The length-prefixed message framing of gRPC: a compressed flag (0 or 1), then the payload length
/// as a 4-byte big-endian unsigned integer, then the payload.
/// </summary>
public static class MessageFrame
{
    /// <summary>Writes a frame header into the first five bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, bool compressed, int length)
    {
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
    }

    /// <summary>
    /// Parses a frame header at the start of <paramref name="buffer"/> (which may span several
    /// segments). Returns false when fewer than five bytes are there yet.
    /// </summary>
    /// <exception cref="RpcException">INTERNAL for a flag other than 0 or 1.</exception>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out bool compressed, out uint length)
    {
        compressed = false;
        length = 0;
        if (buffer.Length < GrpcProtocol.FrameHeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[GrpcProtocol.FrameHeaderSize];
        buffer.Slice(0, GrpcProtocol.FrameHeaderSize).CopyTo(header);
        compressed = ParseFlag(header[0]);
        length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        return true;
    }

    /// <summary>Parses a complete five-byte header.</summary>
    public static void ReadHeader(ReadOnlySpan<byte> header, out bool compressed, out uint length)
    {
        compressed = ParseFlag(header[0]);
        length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
    }

    private static bool ParseFlag(byte flag) => flag switch
    {
        0 => false,
        1 => true,
        _ => throw new RpcException(StatusCode.Internal, $"Invalid message frame: compressed flag {flag}."),
    };
}
