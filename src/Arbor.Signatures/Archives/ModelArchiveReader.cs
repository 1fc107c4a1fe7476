using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using Arbor.Signatures.Signatures;
using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Archives;

/// <summary>
/// Reads the signature (<c>&lt;archive&gt;/extra/module_info.json</c>) out of a TorchScript <c>.pt</c>
/// archive without libtorch. The archive is treated as untrusted: non-zip files, a missing or
/// ambiguous entry, suspicious entry names, oversized entries and zip bombs are each rejected with
/// a <see cref="SignatureException"/> that names the problem. Nothing is ever extracted to disk.
/// </summary>
public static class ModelArchiveReader
{
    /// <summary>The entry suffix that identifies the signature inside the archive.</summary>
    public const string SignatureEntrySuffix = "/extra/module_info.json";

    /// <summary>The largest signature accepted, declared or actual (1 MiB).</summary>
    public const int MaxSignatureBytes = 1024 * 1024;

    /// <summary>The largest uncompressed-to-compressed ratio accepted for a compressed signature entry.</summary>
    public const int MaxCompressionRatio = 100;

    private const string ArchivePath = "(archive)";

    /// <summary>Reads and validates the signature of the archive at <paramref name="path"/>.</summary>
    public static ModelSignature Read(string path)
    {
        var subject = $"model archive {path}";
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var message = ex is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot be opened: {ex.Message}";
            throw new SignatureException(subject, [new ArtefactProblem(ArchivePath, message)], ex);
        }

        using (stream)
        {
            return Read(stream, subject);
        }
    }

    /// <summary>Reads and validates the signature of an archive held in a seekable stream.</summary>
    public static ModelSignature Read(Stream archive, string subject)
    {
        var (entryName, json) = ReadSignatureBytes(archive, subject);
        var info = ModuleInfoParser.Parse(json, $"{entryName} in {subject}");
        var sha = Convert.ToHexStringLower(SHA256.HashData(json));
        return new ModelSignature(info, json, sha, entryName);
    }

    /// <summary>Reads the raw signature bytes (no JSON validation) after every container check.</summary>
    public static (string EntryName, byte[] Json) ReadSignatureBytes(Stream archive, string subject)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw Fail(subject, ArchivePath, $"not a zip archive, or a truncated one (a TorchScript .pt file is a zip): {ex.Message}", ex);
        }

        using (zip)
        {
            var entry = FindSignatureEntry(zip, subject);
            return (entry.FullName, ReadEntry(entry, subject));
        }
    }

    private static ZipArchiveEntry FindSignatureEntry(ZipArchive zip, string subject)
    {
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            entries = zip.Entries;
        }
        catch (InvalidDataException ex)
        {
            throw Fail(subject, ArchivePath, $"corrupt zip central directory: {ex.Message}", ex);
        }

        var matches = new List<ZipArchiveEntry>();
        foreach (var entry in entries)
        {
            var name = entry.FullName;
            if (!name.EndsWith(SignatureEntrySuffix, StringComparison.Ordinal) && !name.Replace('\\', '/').EndsWith(SignatureEntrySuffix, StringComparison.Ordinal))
            {
                continue;
            }

            if (UnsafeNameReason(name) is { } reason)
            {
                throw Fail(subject, name, $"suspicious entry name ({reason}); expected '<archive-name>{SignatureEntrySuffix}'");
            }

            matches.Add(entry);
        }

        return matches.Count switch
        {
            0 => throw Fail(subject, ArchivePath, $"no signature entry: no entry ends with '{SignatureEntrySuffix}' (was the model saved with _extra_files={{\"module_info.json\": ...}}?)"),
            1 => matches[0],
            _ => throw Fail(subject, ArchivePath, $"ambiguous signature: {matches.Count} entries end with '{SignatureEntrySuffix}' ({string.Join(", ", matches.Select(m => m.FullName))})"),
        };
    }

    // The prefix must be one plain path segment: torch.jit.save writes "<stem>/extra/module_info.json".
    private static string? UnsafeNameReason(string name)
    {
        if (name.Contains('\\', StringComparison.Ordinal))
        {
            return "contains a backslash";
        }

        if (name.Contains('\0', StringComparison.Ordinal) || name.Any(char.IsControl))
        {
            return "contains a control character";
        }

        var prefix = name[..^SignatureEntrySuffix.Length];
        if (prefix.Length == 0 || name.StartsWith('/'))
        {
            return "absolute path";
        }

        if (prefix.Length >= 2 && prefix[1] == ':')
        {
            return "drive-letter path";
        }

        if (prefix.Contains('/', StringComparison.Ordinal))
        {
            return prefix.Split('/').Any(segment => segment is ".." or ".")
                ? "path traversal ('..' or '.' segment)"
                : "nested below the archive's top-level folder";
        }

        return prefix is ".." or "." ? "path traversal ('..' or '.' segment)" : null;
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, string subject)
    {
        var name = entry.FullName;
        long declared;
        long compressed;
        try
        {
            declared = entry.Length;
            compressed = entry.CompressedLength;
        }
        catch (InvalidOperationException ex)
        {
            throw Fail(subject, name, $"entry sizes cannot be read: {ex.Message}", ex);
        }

        if (declared > MaxSignatureBytes)
        {
            throw Fail(subject, name, Invariant($"entry too large: declares {declared} bytes, the limit is {MaxSignatureBytes} bytes (1 MiB)"));
        }

        if (declared > 0 && compressed == 0)
        {
            throw Fail(subject, name, Invariant($"possible zip bomb: declares {declared} bytes from a 0-byte compressed entry"));
        }

        if (compressed > 0 && declared / compressed > MaxCompressionRatio)
        {
            throw Fail(subject, name, Invariant($"possible zip bomb: compression ratio {declared / compressed}:1 exceeds {MaxCompressionRatio}:1"));
        }

        // Declared sizes can lie: read at most the limit + 1 bytes, whatever the header says.
        var buffer = new byte[Math.Min(declared, MaxSignatureBytes) + 1];
        int total;
        try
        {
            using var content = entry.Open();
            total = 0;
            int read;
            while (total < buffer.Length && (read = content.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
            }
        }
        catch (InvalidDataException ex)
        {
            throw Fail(subject, name, $"entry cannot be decompressed: {ex.Message}", ex);
        }
        catch (NotSupportedException ex)
        {
            throw Fail(subject, name, $"entry cannot be decompressed: {ex.Message}", ex);
        }

        if (total > declared)
        {
            throw Fail(subject, name, total > MaxSignatureBytes
                ? Invariant($"possible zip bomb: decompresses past the {MaxSignatureBytes}-byte limit although it declares {declared} bytes")
                : Invariant($"entry decompresses to more than its declared {declared} bytes"));
        }

        if (total < declared)
        {
            throw Fail(subject, name, Invariant($"entry is truncated: {total} of {declared} declared bytes"));
        }

        return buffer.AsSpan(0, total).ToArray();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static SignatureException Fail(string subject, string path, string message, Exception? inner = null) =>
        new(subject, [new ArtefactProblem(path, message)], inner);
}
