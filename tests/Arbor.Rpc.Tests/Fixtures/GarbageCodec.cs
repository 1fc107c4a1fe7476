using System.Buffers;
using Arbor.Rpc.Compression;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>A codec that claims a real encoding's name but writes bytes no decoder accepts.</summary>
public sealed class GarbageCodec(string name) : ICompressionCodec
{
    public string EncodingName => name;

    public int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var length = Math.Max(source.Length / 4, 16);
        var span = destination.GetSpan(length)[..length];
        new Random(source.Length).NextBytes(span);
        destination.Advance(length);
        return length;
    }

    public int Decompress(ReadOnlyMemory<byte> source, IBufferWriter<byte> destination, int maxDecompressedLength) =>
        throw new NotSupportedException();
}
