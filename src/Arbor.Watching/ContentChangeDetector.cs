using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Arbor.Watching;

/// <summary>
/// Tells whether files Arbor re-reads while it runs (the root config, certificates and keys) hold
/// new content, by the SHA-256 of what was read. Arbor watches such files by polling their content
/// (<see cref="FilePolling"/>): every kind of update is seen that way, a rename over the file, an
/// in-place write, a Kubernetes ConfigMap or Secret symlink swap, and an unchanged file costs one
/// small read. Not thread-safe: one poller owns it.
/// </summary>
public sealed class ContentChangeDetector
{
    private byte[]? _lastHash;

    /// <param name="initialHash">The hash of the content already in force (from <see cref="Hash"/>); null when none is.</param>
    public ContentChangeDetector(byte[]? initialHash = null) => _lastHash = initialHash;

    /// <summary>
    /// The SHA-256 of one content, or of several, each length-prefixed so that two splits of the same
    /// bytes differ.
    /// </summary>
    public static byte[] Hash(params ReadOnlySpan<byte[]> contents)
    {
        if (contents.Length == 1)
        {
            return SHA256.HashData(contents[0]);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var content in contents)
        {
            BinaryPrimitives.WriteInt64BigEndian(length, content.LongLength);
            hash.AppendData(length);
            hash.AppendData(content);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>True (and the contents become the last seen) when they differ from the last contents seen.</summary>
    public bool HasChanged(params ReadOnlySpan<byte[]> contents)
    {
        var hash = Hash(contents);
        if (_lastHash is not null && hash.AsSpan().SequenceEqual(_lastHash))
        {
            return false;
        }

        _lastHash = hash;
        return true;
    }
}
