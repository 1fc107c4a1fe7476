using System.Buffers;

namespace Arbor.Rpc.Compression;

/// <summary>
/// A message compression named by a <c>grpc-encoding</c> value. Implementations are thread-safe.
/// </summary>
public interface ICompressionCodec
{
    /// <summary>The encoding's name on the wire (<c>gzip</c>, <c>lz4</c>, <c>zstd</c>).</summary>
    string EncodingName { get; }

    /// <summary>Compresses <paramref name="source"/>, appending to <paramref name="destination"/>; returns the bytes written.</summary>
    int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination);

    /// <summary>
    /// Decompresses <paramref name="source"/>, appending to <paramref name="destination"/>; returns
    /// the bytes written.
    /// </summary>
    /// <exception cref="Grpc.Core.RpcException">
    /// INTERNAL for a corrupt payload; RESOURCE_EXHAUSTED when the result would exceed
    /// <paramref name="maxDecompressedLength"/>.
    /// </exception>
    int Decompress(ReadOnlyMemory<byte> source, IBufferWriter<byte> destination, int maxDecompressedLength);
}
