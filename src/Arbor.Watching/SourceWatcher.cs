namespace Arbor.Watching;

/// <summary>
/// The one way Arbor notices that something it reads while running has changed: the root config,
/// trimmer bundles, TLS certificates and keys, a leaf's model repository. It calls its consumer's
/// check when the file system reports a change under the source (debounced, so a burst of events is
/// one check) and every rescan interval whatever the events say; the consumer reads, compares
/// content (<see cref="ContentChangeDetector"/>), parses, validates and swaps, keeping what it had when
/// the new content is not good.
/// </summary>
/// <remarks>
/// <para>Folders are watched, not files, and every event counts: a write-then-rename replaces the
/// file's inode, a Kubernetes ConfigMap or Secret update renames <c>..data</c> without touching the
/// file's own name, and a delete-and-recreate is two events on a name a file watcher would lose. For
/// a file both its folder and the folder of its resolved target (<see cref="RealPath"/>) are watched,
/// re-armed at each rescan when the target moved or a watcher failed.</para>
/// <para>Checks never overlap: one runs at a time, and a signal during a check is honoured after it.
/// A check that throws is reported to <c>checkFailed</c> and the watching goes on.</para>
/// </remarks>
public sealed class SourceWatcher : IDisposable
{
    private readonly Func<IEnumerable<string>> _paths;
    private readonly Action _check;
    private readonly Action<Exception>? _checkFailed;
    private readonly Action<string, Exception>? _watchFailed;
    private readonly WatchOptions _options;
    private readonly TimeProvider _time;
    private readonly ITimer _debounceTimer;
    private readonly Lock _checkGate = new();
    private readonly Lock _timerGate = new();
    private readonly Lock _watchGate = new();
    private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);
    private ITimer? _rescanTimer;
    private DateTimeOffset? _pendingSince;
    private bool _watchBroken;
    private bool _disposed;
    private long _checks;

    /// <param name="paths">The files or folders that make up the source, asked again at each rescan (a path may change).</param>
    /// <param name="check">Reads the source and applies it if it changed; called on a timer or watcher thread, never twice at once.</param>
    /// <param name="options">Rescan interval, debounce, whether to watch and whether recursively.</param>
    /// <param name="time">The clock of the timers.</param>
    /// <param name="checkFailed">Told when a check throws (the exception goes no further).</param>
    /// <param name="watchFailed">Told when a folder cannot be watched or its watcher fails (the rescan still runs).</param>
    public SourceWatcher(
        Func<IEnumerable<string>> paths,
        Action check,
        WatchOptions options,
        TimeProvider? time = null,
        Action<Exception>? checkFailed = null,
        Action<string, Exception>? watchFailed = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RescanInterval, TimeSpan.Zero);
        _paths = paths;
        _check = check;
        _options = options;
        _time = time ?? TimeProvider.System;
        _checkFailed = checkFailed;
        _watchFailed = watchFailed;
        _debounceTimer = _time.CreateTimer(static state => ((SourceWatcher)state!).OnDebounceElapsed(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Raised when a change is signalled (tests wait on it instead of sleeping).</summary>
    public event Action? Signaled;

    /// <summary>Checks completed since start (tests wait on it instead of sleeping).</summary>
    public long Checks => Interlocked.Read(ref _checks);

    /// <summary>Whether at least one folder is watched and no watcher has failed since the last rescan.</summary>
    public bool IsWatching
    {
        get
        {
            lock (_watchGate)
            {
                return _watchers.Count > 0 && !_watchBroken;
            }
        }
    }

    /// <summary>The folders watched now.</summary>
    public IReadOnlyCollection<string> WatchedFolders
    {
        get
        {
            lock (_watchGate)
            {
                return [.. _watchers.Keys];
            }
        }
    }

    /// <summary>Arms the watchers and the rescan timer. The consumer loads the source itself first.</summary>
    public void Start()
    {
        lock (_timerGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_rescanTimer is not null)
            {
                return;
            }

            _rescanTimer = _time.CreateTimer(static state => ((SourceWatcher)state!).CheckNow(), this, _options.RescanInterval, _options.RescanInterval);
        }

        EnsureWatching();
    }

    /// <summary>
    /// Notes that the source may have changed: the check runs once no signal has come for the debounce
    /// interval, and at most the maximum debounce delay after the first signal of a burst.
    /// </summary>
    public void Signal()
    {
        lock (_timerGate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow();
            _pendingSince ??= now;
            var dueAt = Min(now + _options.Debounce, _pendingSince.Value + _options.MaxDebounceDelay);
            _debounceTimer.Change(Max(dueAt - now, TimeSpan.Zero), Timeout.InfiniteTimeSpan);
        }

        Signaled?.Invoke();
    }

    /// <summary>Checks the source now (what each rescan does), then re-arms watchers that failed or whose folders changed.</summary>
    public void CheckNow()
    {
        lock (_checkGate)
        {
            if (Volatile.Read(ref _disposed))
            {
                return;
            }

            try
            {
                _check();
            }
            catch (Exception e)
            {
                // A timer thread must not die of a consumer's bug; the consumer hears of it.
                _checkFailed?.Invoke(e);
            }
            finally
            {
                Interlocked.Increment(ref _checks);
            }
        }

        EnsureWatching();
    }

    public void Dispose()
    {
        // Taking the check gate waits for a check under way, so the consumer may tear down what it uses.
        lock (_checkGate)
        {
            Volatile.Write(ref _disposed, true);
        }

        lock (_timerGate)
        {
            _debounceTimer.Dispose();
            _rescanTimer?.Dispose();
        }

        lock (_watchGate)
        {
            foreach (var watcher in _watchers.Values)
            {
                watcher.Dispose();
            }

            _watchers.Clear();
        }
    }

    private void OnDebounceElapsed()
    {
        lock (_timerGate)
        {
            _pendingSince = null;
        }

        CheckNow();
    }

    private void EnsureWatching()
    {
        if (!_options.Watch)
        {
            return;
        }

        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in _paths())
        {
            foreach (var candidate in (ReadOnlySpan<string>)[Path.GetFullPath(path), RealPath.Resolve(path)])
            {
                if (_options.Recursive && Directory.Exists(candidate))
                {
                    wanted.Add(candidate);
                }
                else if (Path.GetDirectoryName(candidate) is { } folder)
                {
                    wanted.Add(folder);
                }
            }
        }

        lock (_watchGate)
        {
            if (_disposed)
            {
                return;
            }

            if (_watchBroken)
            {
                foreach (var watcher in _watchers.Values)
                {
                    watcher.Dispose();
                }

                _watchers.Clear();
                _watchBroken = false;
            }

            foreach (var stale in _watchers.Keys.Where(f => !wanted.Contains(f)).ToList())
            {
                _watchers.Remove(stale, out var watcher);
                watcher!.Dispose();
            }

            foreach (var folder in wanted.Where(f => !_watchers.ContainsKey(f)))
            {
                try
                {
                    _watchers[folder] = Arm(folder);
                }
                catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
                {
                    _watchFailed?.Invoke(folder, e);
                }
            }
        }
    }

    private FileSystemWatcher Arm(string folder)
    {
        var watcher = new FileSystemWatcher(folder)
        {
            IncludeSubdirectories = _options.Recursive,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite
                | NotifyFilters.Size | NotifyFilters.CreationTime,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Changed += (_, _) => Signal();
        watcher.Created += (_, _) => Signal();
        watcher.Deleted += (_, _) => Signal();
        watcher.Renamed += (_, _) => Signal();
        watcher.Error += (_, e) => OnWatchError(folder, e.GetException());
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void OnWatchError(string folder, Exception error)
    {
        lock (_watchGate)
        {
            _watchBroken = true;
        }

        _watchFailed?.Invoke(folder, error);

        // Events may have been lost (an inotify queue overflow): look at the source again.
        Signal();
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
