using Arbor.Signatures.Bundles;
using Arbor.Trimming.Diagnostics;
using Arbor.Trimming.Watching;
using Microsoft.Extensions.Logging;

namespace Arbor.Trimming.Bundles;

/// <summary>
/// One configured bundle file: its independent map, the debounced reload that replaces it, the
/// watchers that trigger that reload, and what the admin endpoint reports.
/// </summary>
/// <remarks>
/// A failed read never replaces the map: the previous map stays active (state Stale), or the bundle
/// stays untrimmed if it never loaded (state Failed). Reloads of one bundle are serialized.
/// </remarks>
internal sealed class BundleSource : IDisposable
{
    private readonly FeatureTrimmer _owner;
    private readonly BundleFileReader _reader;
    private readonly TimeProvider _time;
    private readonly TimeSpan _debounce;
    private readonly TimeSpan _maxDebounceDelay;
    private readonly ILogger _logger;
    private readonly TrimmerMetrics _metrics;
    private readonly ITimer _debounceTimer;

    private readonly Lock _reloadGate = new();
    private readonly Lock _timerGate = new();
    private readonly Lock _watchGate = new();

    private volatile BundleMap? _map;

    // Guarded by _reloadGate.
    private BundleState _state = BundleState.Pending;
    private string _resolvedPath;
    private DateTimeOffset? _lastAttempt;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _staleSince;
    private string? _lastFailureKey;

    // Guarded by _timerGate.
    private DateTimeOffset? _pendingSince;
    private bool _disposed;

    // Guarded by _watchGate.
    private readonly Dictionary<string, BundleDirectoryWatcher> _watchers = new(StringComparer.Ordinal);
    private bool _watchBroken;

    public BundleSource(FeatureTrimmer owner, string path, BundleFileReader reader, TimeProvider time, TimeSpan debounce, TimeSpan maxDebounceDelay, ILogger logger, TrimmerMetrics metrics)
    {
        _owner = owner;
        Path = System.IO.Path.GetFullPath(path);
        Id = System.IO.Path.GetFileNameWithoutExtension(Path);
        _resolvedPath = Path;
        _reader = reader;
        _time = time;
        _debounce = debounce;
        _maxDebounceDelay = maxDebounceDelay;
        _logger = logger;
        _metrics = metrics;
        _debounceTimer = time.CreateTimer(static state => ((BundleSource)state!).OnDebounceElapsed(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The file name without extension: the bundle's id in metrics and status.</summary>
    public string Id { get; }

    /// <summary>The configured path, made absolute.</summary>
    public string Path { get; }

    /// <summary>The active map; null while the bundle never loaded.</summary>
    public BundleMap? Map => _map;

    /// <summary>Raised when a change is signalled (tests wait on it instead of sleeping).</summary>
    internal event Action? Signaled;

    /// <summary>
    /// Notes that the file may have changed: the reload runs once no signal has come for the debounce
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
            var dueAt = Min(now + _debounce, _pendingSince.Value + _maxDebounceDelay);
            _debounceTimer.Change(Max(dueAt - now, TimeSpan.Zero), Timeout.InfiniteTimeSpan);
        }

        Signaled?.Invoke();
    }

    /// <summary>
    /// Reads the file and, when it holds new valid content, replaces the map; returns whether the map
    /// changed (the caller then publishes a new consolidated snapshot).
    /// </summary>
    public bool Reload(bool atStartup)
    {
        var retry = false;
        lock (_reloadGate)
        {
            var now = _time.GetUtcNow();
            _lastAttempt = now;
            _resolvedPath = RealPath.Resolve(Path);
            var read = _reader.Read(Path);
            if (read.Failure is { } failure)
            {
                // A file being written settles; look again after the debounce interval.
                retry = failure == BundleReadFailure.Unstable;
                Fail(failure, read.Error!, now, atStartup, dedupeKey: retry ? null : $"{failure}:{read.Error}");
            }
            else if (_map is { } map && map.ContentHash == read.ContentHash)
            {
                if (_state != BundleState.Active)
                {
                    _logger.BundleRecovered(Id);
                }

                MarkActive();
                _metrics.RecordReload(Id, changed: false);
                return false;
            }
            else if (TryBuildMap(read.Content!, read.ContentHash!, now, out var newMap, out var error))
            {
                _map = newMap;
                MarkActive();
                _metrics.RecordReload(Id, changed: true);
                _logger.BundleLoaded(Id, Path, newMap.Bundle, newMap.Models.Count, newMap.ContentHash);
                return true;
            }
            else
            {
                Fail(BundleReadFailure.Invalid, error, now, atStartup, dedupeKey: read.ContentHash);
            }
        }

        if (retry)
        {
            Signal();
        }

        return false;
    }

    /// <summary>(Re-)arms watchers on the configured file's directory and its resolved target's directory.</summary>
    public void EnsureWatching()
    {
        string resolved;
        lock (_reloadGate)
        {
            resolved = _resolvedPath;
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

            var wanted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in (ReadOnlySpan<string>)[Path, resolved])
            {
                if (System.IO.Path.GetDirectoryName(file) is { } directory)
                {
                    wanted.Add(directory);
                }
            }

            foreach (var stale in _watchers.Keys.Where(d => !wanted.Contains(d)).ToList())
            {
                _watchers.Remove(stale, out var watcher);
                watcher!.Dispose();
            }

            foreach (var directory in wanted.Where(d => !_watchers.ContainsKey(d)))
            {
                try
                {
                    _watchers[directory] = new BundleDirectoryWatcher(directory, Signal, OnWatchError);
                }
                catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
                {
                    _logger.WatchFailed(directory, Id, ex.Message);
                }
            }
        }
    }

    /// <summary>Whether at least one watcher is armed and none has failed.</summary>
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

    public BundleStatus GetStatus(Func<string, bool> isShadowed)
    {
        lock (_reloadGate)
        {
            var map = _map;
            var models = map is null
                ? []
                : map.Document.Models
                    .OrderBy(m => m.Key, StringComparer.Ordinal)
                    .Select(m => new ModelStatus(
                        m.Key,
                        m.Value.Latest,
                        [.. m.Value.Versions
                            .OrderBy(v => v.Key, ModelVersionComparer.Instance)
                            .Select(v => new VersionStatus(v.Key, map.Models[m.Key].Versions[v.Key].Count, v.Value.SignatureSha256))],
                        isShadowed(m.Key)))
                    .ToList();
            return new BundleStatus(
                Id,
                Path,
                _resolvedPath,
                map?.Bundle,
                _state,
                map?.ContentHash,
                map?.Document.GeneratedAt,
                map?.LoadedAt,
                _lastAttempt,
                _lastError,
                _lastErrorAt,
                _staleSince is { } since ? Math.Max(0, (_time.GetUtcNow() - since).TotalSeconds) : 0,
                IsWatching,
                models);
        }
    }

    public void Dispose()
    {
        lock (_timerGate)
        {
            _disposed = true;
            _debounceTimer.Dispose();
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

        _owner.ReloadAndPublish(this);
    }

    private void OnWatchError(Exception error)
    {
        lock (_watchGate)
        {
            _watchBroken = true;
        }

        _logger.WatchFailed(System.IO.Path.GetDirectoryName(Path) ?? Path, Id, error.Message);

        // Events may have been lost (e.g. an inotify queue overflow): look at the file again.
        Signal();
    }

    private static bool TryBuildMap(byte[] content, string hash, DateTimeOffset now, out BundleMap map, out string error)
    {
        if (!BundleJson.TryParse(content, out var document, out var problems))
        {
            map = null!;
            error = string.Join("; ", problems.Select(p => p.ToString()));
            return false;
        }

        try
        {
            map = BundleMap.FromDocument(document!, hash, now);
            error = string.Empty;
            return true;
        }
        catch (ArgumentException ex)
        {
            map = null!;
            error = ex.Message;
            return false;
        }
    }

    private void MarkActive()
    {
        _state = BundleState.Active;
        _lastError = null;
        _lastErrorAt = null;
        _staleSince = null;
        _lastFailureKey = null;
    }

    private void Fail(BundleReadFailure failure, string error, DateTimeOffset now, bool atStartup, string? dedupeKey)
    {
        // A rescan finding the same problem again is neither logged nor counted again.
        var repeated = dedupeKey is not null && dedupeKey == _lastFailureKey;
        _lastFailureKey = dedupeKey;
        _lastError = error;
        _staleSince ??= now;
        _state = _map is null ? BundleState.Failed : BundleState.Stale;
        if (repeated)
        {
            return;
        }

        _lastErrorAt = now;
        _metrics.RecordReloadFailure(Id, failure);
        if (atStartup)
        {
            _logger.BundleFailedAtStartup(Id, failure, error);
        }
        else if (_map is { } map)
        {
            _logger.BundleReloadFailed(Id, failure, error, map.LoadedAt);
        }
        else
        {
            _logger.BundleStillFailing(Id, failure, error);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
