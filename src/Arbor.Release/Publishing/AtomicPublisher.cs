namespace Arbor.Release.Publishing;

/// <summary>
/// Publishes files and directories so that a process watching the destination sees either the old
/// content or the new one, never a partial one: everything is written under a hidden name in the
/// same parent (same file system, so the final step is one <c>rename(2)</c>), then renamed into
/// place. Leaves and roots ignore hidden (dot) names, so a crash mid-copy leaves only litter that
/// <see cref="RemoveLitter"/> clears.
/// </summary>
public static class AtomicPublisher
{
    /// <summary>Marks a temporary entry made by this class; <see cref="RemoveLitter"/> deletes those.</summary>
    public const string TemporaryMarker = ".arbor-";

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> by write-then-rename.</summary>
    public static void WriteFile(string path, ReadOnlySpan<byte> content)
    {
        var full = Path.GetFullPath(path);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = TemporaryPath(parent, Path.GetFileName(full), "tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDeleteFile(temp);
            throw;
        }
    }

    /// <summary>
    /// Copies the directory <paramref name="source"/> to <paramref name="destination"/>, which must
    /// not exist yet: the copy is made beside the destination under a hidden name, then renamed.
    /// </summary>
    /// <exception cref="IOException">The destination exists, or the copy failed (nothing is left behind).</exception>
    public static void PublishDirectory(string source, string destination)
    {
        var from = Path.GetFullPath(source);
        var to = Path.GetFullPath(destination);
        if (!Directory.Exists(from))
        {
            throw new DirectoryNotFoundException($"cannot publish {from}: it does not exist");
        }

        if (Directory.Exists(to) || File.Exists(to))
        {
            throw new IOException($"cannot publish to {to}: it already exists (published versions are immutable)");
        }

        var parent = Path.GetDirectoryName(to)!;
        Directory.CreateDirectory(parent);
        var temp = TemporaryPath(parent, Path.GetFileName(to), "partial");
        try
        {
            CopyDirectory(from, temp);
            Directory.Move(temp, to);
        }
        catch
        {
            TryDeleteDirectory(temp);
            throw;
        }
    }

    /// <summary>
    /// Removes a directory so that watchers see it vanish at once: it is renamed to a hidden name
    /// first, then deleted. Returns false when it did not exist.
    /// </summary>
    public static bool RemoveDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            return false;
        }

        var parent = Path.GetDirectoryName(full)!;
        var temp = TemporaryPath(parent, Path.GetFileName(full), "removed");
        Directory.Move(full, temp);
        TryDeleteDirectory(temp);
        return true;
    }

    /// <summary>Deletes the temporary entries this class left in <paramref name="directory"/> (after a crash).</summary>
    public static int RemoveLitter(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var removed = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory, TemporaryMarker + "*"))
        {
            if (Directory.Exists(entry))
            {
                TryDeleteDirectory(entry);
            }
            else
            {
                TryDeleteFile(entry);
            }

            removed++;
        }

        return removed;
    }

    private static string TemporaryPath(string parent, string name, string purpose) =>
        Path.Combine(parent, $"{TemporaryMarker}{name}.{purpose}.{Guid.NewGuid():N}");

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, target);
            using var stream = new FileStream(target, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            stream.Flush(flushToDisk: true);
        }

        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Litter under a hidden name: harmless, and RemoveLitter clears it later.
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Litter under a hidden name: harmless, and RemoveLitter clears it later.
        }
    }
}
