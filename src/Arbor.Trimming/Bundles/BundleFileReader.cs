using System.Security.Cryptography;

namespace Arbor.Trimming.Bundles;

/// <summary>
/// Reads a bundle file's bytes and hash, twice: a file whose content differs between two reads is
/// being written in place, and must not become the active map.
/// </summary>
internal sealed class BundleFileReader
{
    private readonly Func<string, byte[]> _readAllBytes;

    public BundleFileReader()
        : this(File.ReadAllBytes)
    {
    }

    /// <summary>For tests: a file system that answers differently on each read.</summary>
    internal BundleFileReader(Func<string, byte[]> readAllBytes)
    {
        _readAllBytes = readAllBytes;
    }

    public BundleReadResult Read(string path)
    {
        try
        {
            var first = _readAllBytes(path);
            var second = _readAllBytes(path);
            if (!first.AsSpan().SequenceEqual(second))
            {
                return BundleReadResult.Failed(BundleReadFailure.Unstable, "the file changed while it was read (a write in progress?)");
            }

            return BundleReadResult.Success(first, Convert.ToHexStringLower(SHA256.HashData(first)));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return BundleReadResult.Failed(BundleReadFailure.Missing, $"the file does not exist ({path})");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return BundleReadResult.Failed(BundleReadFailure.Unreadable, $"the file cannot be read: {ex.Message}");
        }
    }
}
