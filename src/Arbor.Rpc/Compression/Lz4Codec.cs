using System.Buffers;
using System.Buffers.Binary;

namespace Arbor.Rpc.Compression;

/// <summary>
/// The <c>lz4</c> encoding. gRPC does not standardize an lz4 format, so Arbor defines one (both ends
/// are Arbor): a 4-byte little-endian uncompressed length, then one raw LZ4 block
/// (<c>LZ4_compress_default</c>). The length prefix lets the receiver check the size limit and
/// allocate exactly once before decompressing.
/// </summary>
public sealed class Lz4Codec : ICompressionCodec
{
    /// <summary>The encoding name on the wire.</summary>
    public const string Name = "lz4";

    private const int PrefixSize = 4;

    /// <summary>Creates the codec; throws a clear error when liblz4 is missing.</summary>
    public Lz4Codec()
    {
        Lz4Native.EnsureAvailable();
    }

    /// <summary>Whether liblz4 loads on this machine.</summary>
    public static bool IsAvailable => Lz4Native.IsAvailable;

    /// <inheritdoc />
    public string EncodingName => Name;

    /// <inheritdoc />
    public unsafe int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var bound = Lz4Native.CompressBound(source.Length);
        if (bound <= 0)
        {
            throw new ArgumentException($"Input of {source.Length} bytes is too large for lz4.", nameof(source));
        }

        var span = destination.GetSpan(PrefixSize + bound);
        BinaryPrimitives.WriteInt32LittleEndian(span, source.Length);
        int written;
        fixed (byte* src = source)
        fixed (byte* dst = span)
        {
            written = Lz4Native.CompressDefault(src, dst + PrefixSize, source.Length, bound);
        }

        if (written <= 0 && source.Length > 0)
        {
            throw new InvalidOperationException($"LZ4_compress_default failed ({written}) for {source.Length} bytes.");
        }

        destination.Advance(PrefixSize + written);
        return PrefixSize + written;
    }

    /// <inheritdoc />
    public unsafe int Decompress(ReadOnlyMemory<byte> source, IBufferWriter<byte> destination, int maxDecompressedLength)
    {
        var input = source.Span;
        if (input.Length < PrefixSize)
        {
            throw CompressionErrors.Corrupt(Name, "shorter than its length prefix");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(input);
        if (length < 0)
        {
            throw CompressionErrors.Corrupt(Name, $"negative length {length}");
        }

        if (length > maxDecompressedLength)
        {
            throw CompressionErrors.TooLarge(Name, length, maxDecompressedLength);
        }

        if (length == 0)
        {
            return input.Length == PrefixSize + 1 || input.Length == PrefixSize ? 0 : throw CompressionErrors.Corrupt(Name, "data after an empty block");
        }

        var block = input[PrefixSize..];
        var output = destination.GetSpan(length);
        int decoded;
        fixed (byte* src = block)
        fixed (byte* dst = output)
        {
            decoded = Lz4Native.DecompressSafe(src, dst, block.Length, length);
        }

        if (decoded != length)
        {
            throw CompressionErrors.Corrupt(Name, decoded < 0 ? $"LZ4_decompress_safe error {decoded}" : $"{decoded} bytes where the prefix says {length}");
        }

        destination.Advance(length);
        return length;
    }
}
