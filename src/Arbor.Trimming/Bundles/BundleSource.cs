using Arbor.Signatures.Bundles;
using Arbor.Trimming.Diagnostics;
using Arbor.Watching;
using Microsoft.Extensions.Logging;

namespace Arbor.Trimming.Bundles;

/// <summary>
/// One configured bundle file: its independent map, the reload that replaces it (called by the
/// source's <see cref="SourceWatcher"/>: file events, debounced, and the periodic rescan), and what
/// the admin endpoint reports.
/// </summary>
/// <remarks>
/// A failed read never replaces the map: the previous map stays active (state Stale), or the bundle
/// stays untrimmed if it never loaded (state Failed). Reloads of one bundle are serialized.
/// </remarks>
internal sealed class BundleSource : IDisposable
{
    private readonly BundleFileReader _reader;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TrimmerMetrics _metrics;
    private readonly SourceWatcher _watcher;

    private readonly Lock _reloadGate = new();

    private volatile BundleMap? _map;

    // Guarded by _reloadGate.
    private BundleState _state = BundleState.Pending;
    private string _resolvedPath;
    private DateTimeOffset? _lastAttempt;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _staleSince;
    private string? _lastFailureKey;

    public BundleSource(FeatureTrimmer owner, string path, BundleFileReader reader, TimeProvider time, WatchOptions watch, ILogger logger, TrimmerMetrics metrics)
    {
        Path = System.IO.Path.GetFullPath(path);
        Id = System.IO.Path.GetFileNameWithoutExtension(Path);
        _resolvedPath = Path;
        _reader = reader;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _watcher = new SourceWatcher(
            () => [Path],
            () => owner.ReloadAndPublish(this),
            watch,
            time,
            error => _logger.BundleReloadFailed(Id, BundleReadFailure.Unreadable, error.ToString(), Map?.LoadedAt ?? default),
            (folder, error) => _logger.WatchFailed(folder, Id, error.Message));
    }

    /// <summary>The file name without extension: the bundle's id in metrics and status.</summary>
    public string Id { get; }

    /// <summary>The configured path, made absolute.</summary>
    public string Path { get; }

    /// <summary>The active map; null while the bundle never loaded.</summary>
    public BundleMap? Map => _map;

    /// <summary>Raised when a change is signalled (tests wait on it instead of sleeping).</summary>
    internal event Action? Signaled
    {
        add => _watcher.Signaled += value;
        remove => _watcher.Signaled -= value;
    }

    /// <summary>Notes that the file may have changed: a reload follows, debounced (<see cref="SourceWatcher.Signal"/>).</summary>
    public void Signal() => _watcher.Signal();

    /// <summary>Starts watching the file and rescanning it.</summary>
    public void StartWatching() => _watcher.Start();

    /// <summary>Checks the file now, as a rescan does.</summary>
    public void CheckNow() => _watcher.CheckNow();

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

    /// <summary>Whether at least one watcher is armed and none has failed.</summary>
    public bool IsWatching => _watcher.IsWatching;

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

    public void Dispose() => _watcher.Dispose();

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
}
