using System.Buffers;

namespace Arbor.Rpc.Compression;

/// <summary>A write-only stream appending to an <see cref="IBufferWriter{T}"/>, counting what it wrote.</summary>
internal class BufferWriterStream(IBufferWriter<byte> destination) : WriteOnlyStream
{
    public long Written { get; private set; }

    public override bool CanWrite => true;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        destination.Write(buffer);
        Written += buffer.Length;
    }
}
