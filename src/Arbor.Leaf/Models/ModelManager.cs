using System.Collections.Frozen;
using System.Threading.Channels;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Diagnostics;
using Arbor.Signatures.Bundles;
using Arbor.Watching;
using Microsoft.Extensions.Logging;

namespace Arbor.Leaf.Models;

/// <summary>
/// Keeps a partition's served versions in line with its configuration and its repository. Each
/// reconciliation scans the repository, loads and warms the versions the policies want, then
/// publishes a new <see cref="ServingSnapshot"/> and only then retires the versions no longer
/// wanted (they unload once their in-flight requests finish). A failed load changes nothing that
/// serves; when no wanted version of a model is available, its serving versions stay. A failed
/// version is kept and reported until its <c>model.pt</c> disappears, and loaded again only once
/// that file changes (<see cref="RepositoryVersion.Fingerprint"/>).
/// Reconciliation runs at start, every poll interval, and shortly after a file system change (one
/// <see cref="SourceWatcher"/> over the repository).
/// </summary>
public sealed class ModelManager : IAsyncDisposable
{

    private readonly PartitionConfig _config;
    private readonly ModelRepository _repository;
    private readonly IModelVersionLoader _loader;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LeafMetrics _metrics;
    private readonly SemaphoreSlim _reconcileGate = new(1, 1);
    private readonly Lock _recordsGate = new();
    private readonly Dictionary<string, ModelRecord> _records = new(StringComparer.Ordinal);
    private readonly Channel<bool> _triggers = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private ServingSnapshot _snapshot;
    private SourceWatcher? _watcher;
    private Task? _loop;
    private long _reconciliations;

    public ModelManager(
        PartitionConfig config, ModelRepository repository, IModelVersionLoader loader, TimeProvider time, ILogger logger, LeafMetrics metrics)
    {
        _config = config;
        _repository = repository;
        _loader = loader;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        foreach (var model in config.Models)
        {
            _records[model.Name] = new ModelRecord(model);
        }

        _snapshot = new ServingSnapshot(config.Models.ToFrozenDictionary(
            m => m.Name, m => new PublishedModel(m.Name, null, FrozenDictionary<string, ServableVersion>.Empty), StringComparer.Ordinal));
    }

    public string Partition => _config.Partition;

    /// <summary>What is served now.</summary>
    public ServingSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>
    /// Ready when every required model (<see cref="ModelConfig.Required"/>) has a serving version: a
    /// model that is not required (an experiment, by default) never holds the partition back.
    /// </summary>
    public bool IsReady
    {
        get
        {
            var snapshot = Snapshot;
            foreach (var model in _config.Models)
            {
                if (model.Required && snapshot.Models.TryGetValue(model.Name, out var served) && served.DefaultVersion is null)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The required models without a serving version (why the partition is not ready).</summary>
    public IReadOnlyList<string> RequiredNotServing()
    {
        var snapshot = Snapshot;
        return [.. _config.Models.Where(m => m.Required && snapshot.Models.TryGetValue(m.Name, out var served) && served.DefaultVersion is null).Select(m => m.Name)];
    }

    /// <summary>Whether <paramref name="model"/> has a serving version; false when the partition does not serve it.</summary>
    public bool IsServing(string model) => Snapshot.Models.TryGetValue(model, out var served) && served.DefaultVersion is not null;

    /// <summary>Completed reconciliations (tests wait on this rather than on time).</summary>
    public long Reconciliations => Interlocked.Read(ref _reconciliations);

    /// <summary>Loads what the configuration wants, then starts polling (and watching) the repository.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReconcileAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(RunTriggersAsync, CancellationToken.None);
        _watcher = new SourceWatcher(
            () => [_repository.Root],
            Trigger,
            new WatchOptions { RescanInterval = _config.PollInterval, Watch = _config.Watch, Recursive = true },
            _time,
            watchFailed: (folder, e) => LeafLog.WatchFailed(_logger, folder, e.Message));
        _watcher.Start();
    }

    /// <summary>Asks for a reconciliation soon (coalesced with one already pending).</summary>
    public void Trigger() => _triggers.Writer.TryWrite(true);

    /// <summary>Takes a lease on a model version; an empty <paramref name="version"/> means the default one.</summary>
    public LeaseOutcome TryAcquire(string model, string? version, out VersionLease lease)
    {
        // A version retired between reading the snapshot and taking the lease is already replaced in
        // the next snapshot, so one retry with a fresh snapshot finds the new one.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var snapshot = Snapshot;
            if (!snapshot.Models.TryGetValue(model, out var served))
            {
                lease = default;
                return LeaseOutcome.UnknownModel;
            }

            var wanted = string.IsNullOrEmpty(version) ? served.DefaultVersion : version;
            if (wanted is null)
            {
                lease = default;
                return LeaseOutcome.NotReady;
            }

            if (!served.Versions.TryGetValue(wanted, out var servable))
            {
                lease = default;
                return LeaseOutcome.UnknownVersion;
            }

            if (servable.TryAcquire(out lease))
            {
                return LeaseOutcome.Acquired;
            }
        }

        lease = default;
        return LeaseOutcome.NotReady;
    }

    /// <summary>Every configured model with every version tracked (loading, available, unloading, failed).</summary>
    public IReadOnlyList<ModelStatus> Describe()
    {
        var snapshot = Snapshot;
        var result = new List<ModelStatus>(_config.Models.Count);
        lock (_recordsGate)
        {
            foreach (var model in _config.Models)
            {
                var record = _records[model.Name];
                var versions = record.Versions.Values.Concat(record.Retiring)
                    .OrderByDescending(v => v.Version, ModelVersionComparer.Instance)
                    .Select(v => new VersionStatus(
                        v.Version,
                        v.State,
                        v.Loaded?.SignatureSha256,
                        v.Error,
                        v.Loaded?.Signature.Outputs.Select(o => o.Name).ToArray() ?? [],
                        v.InFlight))
                    .ToArray();
                result.Add(new ModelStatus(model.Name, model.Policy.ToString(), snapshot.Models[model.Name].DefaultVersion, versions, model.Role, model.Required));
            }
        }

        return result;
    }

    /// <summary>Brings the served versions in line with the repository now.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await _reconcileGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var model in _config.Models)
            {
                await ReconcileModelAsync(_records[model.Name], cancellationToken).ConfigureAwait(false);
            }

            Interlocked.Increment(ref _reconciliations);
        }
        finally
        {
            _reconcileGate.Release();
        }
    }

    private async Task ReconcileModelAsync(ModelRecord record, CancellationToken cancellationToken)
    {
        var name = record.Config.Name;
        var present = _repository.ListVersions(name).ToDictionary(v => v.Version, StringComparer.Ordinal);

        // The policy chooses among the versions not known to be broken: when the newest version
        // fails to load, latest-N falls back to the next newest instead of serving nothing. Each
        // pass either makes a version available or marks one failed, so this ends.
        IReadOnlyList<string> wanted;
        while (true)
        {
            wanted = record.Config.Policy.Select(present.Keys.Where(v => !IsKnownBroken(record, present[v])).ToList());
            var toLoad = wanted.Where(v => !(record.Versions.TryGetValue(v, out var s) && s.State == ModelVersionState.Available)).ToList();
            if (toLoad.Count == 0)
            {
                break;
            }

            foreach (var version in Enumerable.Reverse(toLoad))
            {
                await LoadAsync(record, present[version], cancellationToken).ConfigureAwait(false);
            }
        }

        var served = Snapshot.Models[name];
        var next = wanted.Where(v => record.Versions.TryGetValue(v, out var s) && s.State == ModelVersionState.Available).ToList();
        if (next.Count == 0 && served.Versions.Count > 0)
        {
            // Availability first: nothing wanted is loadable, so keep serving what serves now.
            next = [.. served.Versions.Keys];
            if (!served.Versions.Keys.Order().SequenceEqual(wanted.Order()))
            {
                LeafLog.KeepingServing(_logger, name, string.Join(", ", next));
            }
        }

        lock (_recordsGate)
        {
            // A failed version stays (reported, and not loaded again while its file is unchanged)
            // until its model.pt is gone.
            foreach (var (version, servable) in record.Versions.ToArray())
            {
                if (servable.State == ModelVersionState.Failed && !present.ContainsKey(version))
                {
                    record.Versions.Remove(version);
                }
            }
        }

        var nextVersions = next.ToFrozenDictionary(v => v, v => record.Versions[v], StringComparer.Ordinal);
        var retiring = served.Versions.Values.Where(v => !nextVersions.ContainsKey(v.Version)).ToList();
        if (retiring.Count == 0 && nextVersions.Count == served.Versions.Count)
        {
            return;
        }

        var defaultVersion = nextVersions.Count == 0 ? null : ModelVersionComparer.Latest(nextVersions.Keys);
        Publish(new PublishedModel(name, defaultVersion, nextVersions));
        foreach (var servable in retiring)
        {
            lock (_recordsGate)
            {
                record.Versions.Remove(servable.Version);
                record.Retiring.Add(servable);
            }

            servable.OnUnloaded = version =>
            {
                lock (_recordsGate)
                {
                    record.Retiring.Remove(version);
                }

                _metrics.Unloaded(version.Model, version.Version);
                LeafLog.Unloaded(_logger, version.Model, version.Version);
            };
            LeafLog.Unloading(_logger, name, servable.Version);
            servable.Retire();
        }
    }

    private static bool IsKnownBroken(ModelRecord record, RepositoryVersion source) =>
        record.Versions.TryGetValue(source.Version, out var existing) &&
        existing.State == ModelVersionState.Failed &&
        existing.Source.Fingerprint == source.Fingerprint;

    private async Task LoadAsync(ModelRecord record, RepositoryVersion source, CancellationToken cancellationToken)
    {
        var servable = new ServableVersion(source);
        lock (_recordsGate)
        {
            record.Versions[source.Version] = servable;
        }

        LeafLog.Loading(_logger, source.Model, source.Version, source.Path, _config.Device);
        var started = _time.GetTimestamp();
        try
        {
            var loaded = await _loader.LoadAsync(source, cancellationToken).ConfigureAwait(false);
            servable.MarkAvailable(loaded);
            var elapsed = _time.GetElapsedTime(started);
            _metrics.Loaded(source.Model, source.Version, "available", elapsed.TotalSeconds);
            LeafLog.Available(_logger, source.Model, source.Version, elapsed.TotalMilliseconds, loaded.SignatureSha256);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            servable.MarkFailed(e.Message);
            _metrics.Loaded(source.Model, source.Version, "failed", _time.GetElapsedTime(started).TotalSeconds);
            LeafLog.LoadFailed(_logger, source.Model, source.Version, e.Message);
        }
    }

    private void Publish(PublishedModel model)
    {
        var current = Snapshot;
        var models = new Dictionary<string, PublishedModel>(current.Models, StringComparer.Ordinal) { [model.Name] = model };
        Volatile.Write(ref _snapshot, new ServingSnapshot(models.ToFrozenDictionary(StringComparer.Ordinal)));
        LeafLog.Published(_logger, _config.Partition, models.Count, string.Join(", ", models.Values.Select(m => $"{m.Name}={m.DefaultVersion ?? "none"}")));
    }

    private async Task RunTriggersAsync()
    {
        try
        {
            while (await _triggers.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                _triggers.Reader.TryRead(out _);
                try
                {
                    await ReconcileAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LeafLog.ReconcileFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Stops polling and unloads every version once its in-flight requests finish.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _watcher?.Dispose();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        await _reconcileGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        var serving = Snapshot.Models.Values.SelectMany(m => m.Versions.Values).ToList();
        Volatile.Write(ref _snapshot, ServingSnapshot.Empty);
        foreach (var servable in serving)
        {
            servable.Retire();
        }

        await Task.WhenAll(serving.Select(s => s.Unloaded)).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private sealed class ModelRecord(ModelConfig config)
    {
        public ModelConfig Config { get; } = config;

        /// <summary>Versions loading, available or failed, by version.</summary>
        public Dictionary<string, ServableVersion> Versions { get; } = new(StringComparer.Ordinal);

        /// <summary>Versions unloading (waiting for their in-flight requests).</summary>
        public List<ServableVersion> Retiring { get; } = [];
    }
}
