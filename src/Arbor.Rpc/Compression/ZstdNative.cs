using System.Runtime.InteropServices;

namespace Arbor.Rpc.Compression;

/// <summary>
/// Every call into the system's libzstd (<c>libzstd.so.1</c>, Debian package libzstd1), and the
/// safe handles over its compression and decompression contexts.
/// </summary>
internal static partial class ZstdNative
{
    public const string Library = "libzstd.so.1";

    /// <summary><c>ZSTD_CONTENTSIZE_UNKNOWN</c>.</summary>
    public const ulong ContentSizeUnknown = ulong.MaxValue;

    /// <summary><c>ZSTD_CONTENTSIZE_ERROR</c>.</summary>
    public const ulong ContentSizeError = ulong.MaxValue - 1;

    private static readonly Lazy<string?> LoadError = new(() =>
        NativeLibrary.TryLoad(Library, out var handle)
            ? Free(handle)
            : $"The native library {Library} could not be loaded; install it (Debian: apt-get install libzstd1) to use the zstd encoding.");

    /// <summary>Whether the library loads on this machine.</summary>
    public static bool IsAvailable => LoadError.Value is null;

    /// <summary>Throws a clear error when the library cannot be loaded.</summary>
    public static void EnsureAvailable()
    {
        if (LoadError.Value is { } error)
        {
            throw new DllNotFoundException(error);
        }
    }

    [LibraryImport(Library, EntryPoint = "ZSTD_compressBound")]
    public static partial nuint CompressBound(nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    public static partial nint GetErrorName(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getFrameContentSize")]
    public static unsafe partial ulong GetFrameContentSize(byte* source, nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_createCCtx")]
    public static partial CompressionContext CreateCompressionContext();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    public static partial nuint FreeCompressionContext(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressCCtx")]
    public static unsafe partial nuint CompressWithContext(CompressionContext context, byte* destination, nuint destinationCapacity, byte* source, nuint sourceSize, int level);

    [LibraryImport(Library, EntryPoint = "ZSTD_createDCtx")]
    public static partial DecompressionContext CreateDecompressionContext();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDCtx")]
    public static partial nuint FreeDecompressionContext(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressDCtx")]
    public static unsafe partial nuint DecompressWithContext(DecompressionContext context, byte* destination, nuint destinationCapacity, byte* source, nuint sourceSize);

    /// <summary>The name of a zstd error code, for messages.</summary>
    public static string ErrorName(nuint code) => Marshal.PtrToStringAnsi(GetErrorName(code)) ?? $"error {code}";

    private static string? Free(nint handle)
    {
        NativeLibrary.Free(handle);
        return null;
    }

    /// <summary>A <c>ZSTD_CCtx*</c>, freed with <c>ZSTD_freeCCtx</c>.</summary>
    internal sealed class CompressionContext : SafeHandle
    {
        public CompressionContext()
            : base(nint.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == nint.Zero;

        protected override bool ReleaseHandle()
        {
            FreeCompressionContext(handle);
            return true;
        }
    }

    /// <summary>A <c>ZSTD_DCtx*</c>, freed with <c>ZSTD_freeDCtx</c>.</summary>
    internal sealed class DecompressionContext : SafeHandle
    {
        public DecompressionContext()
            : base(nint.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == nint.Zero;

        protected override bool ReleaseHandle()
        {
            FreeDecompressionContext(handle);
            return true;
        }
    }
}
