using System.Buffers;
using System.Buffers.Binary;
using Grpc.Core;

namespace Arbor.Benchmarks;

/// <summary>
/// A <see cref="SerializationContext"/> that does what grpc-dotnet's client does for an uncompressed
/// message whose length is announced: rent one pooled array of frame header + length, write the
/// 5-byte header, and hand out the rest as the buffer writer. It refuses to grow, so a serializer
/// that announced a wrong length, or wrote through a second buffer, fails the benchmark.
/// </summary>
internal sealed class SendBufferContext : SerializationContext, IBufferWriter<byte>
{
    private const int HeaderSize = 5;
    private byte[] _buffer = [];
    private int _position;
    private int _end;

    /// <summary>Bytes of the last completed frame (header included).</summary>
    public int FrameLength { get; private set; }

    public override void SetPayloadLength(int payloadLength)
    {
        Release();
        _end = HeaderSize + payloadLength;
        _buffer = ArrayPool<byte>.Shared.Rent(_end);
        _buffer[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(1), (uint)payloadLength);
        _position = HeaderSize;
    }

    public override IBufferWriter<byte> GetBufferWriter() => _buffer.Length > 0 ? this : throw new InvalidOperationException("No payload length announced.");

    public override void Complete()
    {
        if (_position != _end)
        {
            throw new InvalidOperationException($"Wrote {_position - HeaderSize} bytes after announcing {_end - HeaderSize}.");
        }

        FrameLength = _end;
        Release();
    }

    public override void Complete(byte[] payload) => throw new NotSupportedException("The payload marshaller writes through the buffer writer.");

    public void Advance(int count) => _position += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.AsMemory(_position, Available(sizeHint));

    public Span<byte> GetSpan(int sizeHint = 0) => _buffer.AsSpan(_position, Available(sizeHint));

    private int Available(int sizeHint)
    {
        var available = _end - _position;
        return sizeHint <= available ? available : throw new InvalidOperationException($"Asked for {sizeHint} bytes past the announced length.");
    }

    private void Release()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
