using System.Runtime.InteropServices;

namespace Arbor.Rpc.Compression;

/// <summary>
/// Every call into the system's liblz4 (<c>liblz4.so.1</c>, Debian package liblz4-1). Only the
/// block API is used; it keeps no native state, so no handles are needed.
/// </summary>
internal static partial class Lz4Native
{
    public const string Library = "liblz4.so.1";

    private static readonly Lazy<string?> LoadError = new(() => Probe(Library));

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

    [LibraryImport(Library, EntryPoint = "LZ4_compressBound")]
    public static partial int CompressBound(int inputSize);

    [LibraryImport(Library, EntryPoint = "LZ4_compress_default")]
    public static unsafe partial int CompressDefault(byte* source, byte* destination, int sourceSize, int destinationCapacity);

    [LibraryImport(Library, EntryPoint = "LZ4_decompress_safe")]
    public static unsafe partial int DecompressSafe(byte* source, byte* destination, int compressedSize, int destinationCapacity);

    internal static string? Probe(string library)
    {
        if (NativeLibrary.TryLoad(library, out var handle))
        {
            NativeLibrary.Free(handle);
            return null;
        }

        return $"The native library {library} could not be loaded; install it (Debian: apt-get install liblz4-1) to use the lz4 encoding.";
    }
}
