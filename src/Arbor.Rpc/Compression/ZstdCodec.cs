using System.Buffers;

namespace Arbor.Rpc.Compression;

/// <summary>
/// The <c>zstd</c> encoding: one Zstandard frame per message, written with its content size
/// (<c>ZSTD_compressCCtx</c>). Frames without a content size are rejected, so the receiver can
/// check the size limit and allocate exactly once. Contexts are cached per thread.
/// </summary>
public sealed class ZstdCodec : ICompressionCodec
{
    /// <summary>The encoding name on the wire.</summary>
    public const string Name = "zstd";

    [ThreadStatic]
    private static ZstdNative.CompressionContext? t_compression;

    [ThreadStatic]
    private static ZstdNative.DecompressionContext? t_decompression;

    private readonly int _level;

    /// <summary>Creates the codec at <paramref name="level"/> (1 is fastest); throws a clear error when libzstd is missing.</summary>
    public ZstdCodec(int level = 1)
    {
        ZstdNative.EnsureAvailable();
        _level = level;
    }

    /// <summary>Whether libzstd loads on this machine.</summary>
    public static bool IsAvailable => ZstdNative.IsAvailable;

    /// <inheritdoc />
    public string EncodingName => Name;

    /// <inheritdoc />
    public unsafe int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var bound = checked((int)ZstdNative.CompressBound((nuint)source.Length));
        var span = destination.GetSpan(bound);
        var context = t_compression ??= CreateCompressionContext();
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = span)
        {
            written = ZstdNative.CompressWithContext(context, dst, (nuint)span.Length, src, (nuint)source.Length, _level);
        }

        if (ZstdNative.IsError(written) != 0)
        {
            throw new InvalidOperationException($"ZSTD_compressCCtx failed: {ZstdNative.ErrorName(written)}.");
        }

        destination.Advance((int)written);
        return (int)written;
    }

    /// <inheritdoc />
    public unsafe int Decompress(ReadOnlyMemory<byte> source, IBufferWriter<byte> destination, int maxDecompressedLength)
    {
        var input = source.Span;
        ulong size;
        fixed (byte* src = input)
        {
            size = ZstdNative.GetFrameContentSize(src, (nuint)input.Length);
        }

        if (size == ZstdNative.ContentSizeError)
        {
            throw CompressionErrors.Corrupt(Name, "not a zstd frame");
        }

        if (size == ZstdNative.ContentSizeUnknown)
        {
            throw CompressionErrors.Corrupt(Name, "the frame does not declare its content size");
        }

        if (size > (ulong)maxDecompressedLength)
        {
            throw CompressionErrors.TooLarge(Name, (long)Math.Min(size, long.MaxValue), maxDecompressedLength);
        }

        var length = (int)size;
        var output = destination.GetSpan(Math.Max(length, 1));
        var context = t_decompression ??= CreateDecompressionContext();
        nuint decoded;
        fixed (byte* src = input)
        fixed (byte* dst = output)
        {
            decoded = ZstdNative.DecompressWithContext(context, dst, (nuint)length, src, (nuint)input.Length);
        }

        if (ZstdNative.IsError(decoded) != 0)
        {
            throw CompressionErrors.Corrupt(Name, ZstdNative.ErrorName(decoded));
        }

        if (decoded != (nuint)length)
        {
            throw CompressionErrors.Corrupt(Name, $"{decoded} bytes where the frame declares {length}");
        }

        destination.Advance(length);
        return length;
    }

    private static ZstdNative.CompressionContext CreateCompressionContext()
    {
        var context = ZstdNative.CreateCompressionContext();
        return context.IsInvalid ? throw new OutOfMemoryException("ZSTD_createCCtx returned null.") : context;
    }

    private static ZstdNative.DecompressionContext CreateDecompressionContext()
    {
        var context = ZstdNative.CreateDecompressionContext();
        return context.IsInvalid ? throw new OutOfMemoryException("ZSTD_createDCtx returned null.") : context;
    }
}
