namespace Arbor.Trimming.Watching;

/// <summary>
/// Watches one directory holding a bundle file (or the file's resolved target) and reports that
/// something changed there.
/// </summary>
/// <remarks>
/// The directory is watched, not the file, and every event counts: a write-then-rename replaces the
/// file's inode, a ConfigMap update renames <c>..data</c> without touching the file's own name, and a
/// delete-and-recreate is two events on a name a file watcher would lose. Reloads are debounced and
/// skip unchanged content (by hash), so unrelated events cost one small read at most.
/// </remarks>
internal sealed class BundleDirectoryWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;

    /// <exception cref="ArgumentException">The directory does not exist.</exception>
    public BundleDirectoryWatcher(string directory, Action onChange, Action<Exception> onError)
    {
        Directory = directory;
        _watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite
                | NotifyFilters.Size | NotifyFilters.CreationTime,
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Changed += (_, _) => onChange();
        _watcher.Created += (_, _) => onChange();
        _watcher.Deleted += (_, _) => onChange();
        _watcher.Renamed += (_, _) => onChange();
        _watcher.Error += (_, e) => onError(e.GetException());
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>The watched directory.</summary>
    public string Directory { get; }

    public void Dispose() => _watcher.Dispose();
}
