using System.Buffers;
using System.Collections.Frozen;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Wire;
using Arbor.Trimming.Bundles;
using Arbor.Trimming.Diagnostics;
using Arbor.Trimming.Health;
using Arbor.Trimming.Options;
using Arbor.Trimming.Snapshots;
using Arbor.Trimming.Verification;
using Arbor.Watching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arbor.Trimming;

/// <summary>
/// The root's Feature Trimmer: keeps one independent map per configured bundle file, rebuilds the
/// consolidated <see cref="AllowlistSnapshot"/> whenever one changes and publishes it with a single
/// reference swap, and resolves each leaf request's allowlist without taking a lock.
/// </summary>
/// <remarks>
/// Fail-safe: a bundle that cannot be read keeps its previous map (or, never loaded, leaves its
/// models untrimmed); an unknown model is sent untrimmed. Nothing here stops the host from starting.
/// </remarks>
public sealed class FeatureTrimmer : IDisposable
{
    private readonly BundleSource[] _sources;
    private readonly FeatureTrimmerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TrimmerMetrics _metrics;
    private readonly Lock _publishGate = new();
    private readonly Lock _lifecycleGate = new();
    private readonly TrimGapLedger _gaps = new();
    private readonly ShadowLedger _shadow = new();
    private long _gapGeneration;

    private AllowlistSnapshot _snapshot = AllowlistSnapshot.Empty;
    private FrozenSet<(string Source, string Model)> _shadowed = FrozenSet<(string, string)>.Empty;
    private bool _started;
    private bool _disposed;

    public FeatureTrimmer(IOptions<FeatureTrimmerOptions> options, TrimmerMetrics metrics, ILogger<FeatureTrimmer> logger, TimeProvider timeProvider)
        : this(options, metrics, logger, timeProvider, new BundleFileReader())
    {
    }

    internal FeatureTrimmer(IOptions<FeatureTrimmerOptions> options, TrimmerMetrics metrics, ILogger<FeatureTrimmer> logger, TimeProvider timeProvider, BundleFileReader reader)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        var watch = new WatchOptions
        {
            RescanInterval = _options.RescanInterval,
            Watch = _options.WatchFiles,
            Debounce = _options.DebounceInterval,
            MaxDebounceDelay = _options.MaxDebounceDelay,
        };
        _sources = [.. _options.BundlePaths.Select(path => new BundleSource(this, path, reader, _time, watch, _logger, _metrics))];
        _metrics.ObserveBundles(() => GetStatus().Bundles);
    }

    /// <summary>The current consolidated snapshot. Read it once per request and look every model up in it.</summary>
    public AllowlistSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Resolves and counts the allowlist of a model version in the current snapshot. Allocates nothing.</summary>
    /// <param name="model">The destination model.</param>
    /// <param name="version">The requested version; null or empty for the latest.</param>
    public TrimDecision Lookup(string model, string? version) => Lookup(Snapshot, model, version);

    /// <summary>Resolves and counts the allowlist of a model version in a snapshot the request already holds.</summary>
    public TrimDecision Lookup(AllowlistSnapshot snapshot, string model, string? version)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var decision = snapshot.Lookup(model, version);
        _metrics.RecordLookup(model, decision.Outcome);
        return decision;
    }

    /// <summary>
    /// Writes a leaf request with the columns <paramref name="decision"/> allows (all on pass-through)
    /// and counts what trimming removed.
    /// </summary>
    public LeafRequestWriteResult Write(IBufferWriter<byte> output, in LeafRequestHeader header, EncodedBatch batch, in TrimDecision decision)
    {
        var result = LeafRequestWriter.Write(output, header, batch, decision);
        RecordTrim(decision, result);
        return result;
    }

    /// <summary>Counts what a leaf request written by <see cref="LeafRequestWriter"/> carried and removed.</summary>
    public void RecordTrim(in TrimDecision decision, in LeafRequestWriteResult result) => _metrics.RecordTrim(decision.Model, result);

    /// <summary>Changes each time a leaf refuses an allowlist for the first time (views derived from allowlists recompute).</summary>
    public long GapGeneration => Interlocked.Read(ref _gapGeneration);

    /// <summary>Whether a leaf has refused the allowlist of <paramref name="decision"/>: its model then goes untrimmed wherever dropped features cannot be fetched again.</summary>
    public bool IsGapped(in TrimDecision decision) =>
        decision.Allowlist is { } allowlist && _gaps.Contains(decision.Model, decision.AllowlistVersion ?? "", allowlist.Sha256);

    /// <summary>
    /// Records that a leaf refused a call trimmed by <paramref name="decision"/> because the version it
    /// serves uses features the allowlist lacks (a model version reached the leaves before its
    /// allowlist reached this root). The caller sends the call again untrimmed; this marks the
    /// allowlist stale in the admin view and health, counts it and logs its first refusal.
    /// </summary>
    /// <param name="decision">The trimmed decision the leaf refused.</param>
    /// <param name="detail">The leaf's message (the version it served and the features it lacked).</param>
    public void ReportGap(in TrimDecision decision, string detail)
    {
        if (decision.Allowlist is null)
        {
            return;
        }

        var version = decision.AllowlistVersion ?? "";
        _metrics.RecordGap(decision.Model, version);
        var viaLatest = decision.Outcome is TrimOutcome.LatestUnspecified or TrimOutcome.LatestFallback;
        if (_gaps.Record(decision.Model, version, decision.Allowlist.Sha256, viaLatest, detail, _time.GetUtcNow()))
        {
            Interlocked.Increment(ref _gapGeneration);
            _logger.TrimGap(decision.Model, version, decision.Allowlist.Sha256, detail);
        }
    }

    /// <summary>
    /// Records the outcome of one sampled trimmed call's shadow pair (a trimmed and an untrimmed call
    /// compared bit for bit) for the admin view. The caller counts it in its metrics and logs a mismatch.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="version">The version that served the sampled call.</param>
    /// <param name="outcome">What became of the pair.</param>
    /// <param name="maxAbsDiff">For a mismatch, the largest |trimmed − untrimmed| score.</param>
    /// <param name="requestId">The sampled request's id.</param>
    public void ReportShadow(string model, string version, ShadowOutcome outcome, double maxAbsDiff = 0, string? requestId = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(version);
        _shadow.Record(model, version, outcome, maxAbsDiff, requestId, _time.GetUtcNow());
    }

    /// <summary>
    /// Loads every bundle (a failure is reported, never thrown), publishes the first snapshot, arms the
    /// file watchers and the periodic rescan. Idempotent.
    /// </summary>
    public void Start()
    {
        lock (_lifecycleGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                return;
            }

            _started = true;
            foreach (var source in _sources)
            {
                source.Reload(atStartup: true);
            }

            Publish();
            foreach (var source in _sources)
            {
                source.StartWatching();
            }
        }

        _logger.Started(_sources.Length, _sources.Count(s => s.Map is not null), Snapshot.Models.Count);
    }

    /// <summary>
    /// Checks every bundle file now (what the periodic rescan does): changed content is reloaded, and
    /// watchers that failed are re-armed.
    /// </summary>
    public void Rescan()
    {
        foreach (var source in _sources)
        {
            source.CheckNow();
        }
    }

    /// <summary>Each bundle's state, content hash, load times, last error, staleness and allowlist sizes.</summary>
    public TrimmerStatus GetStatus()
    {
        var snapshot = Snapshot;
        var shadowed = Volatile.Read(ref _shadowed);
        var bundles = new List<BundleStatus>(_sources.Length);
        foreach (var source in _sources)
        {
            bundles.Add(source.GetStatus(model => shadowed.Contains((source.Id, model))));
        }

        return new TrimmerStatus(snapshot.Generation, snapshot.BuiltAt, snapshot.Models.Count, bundles, _gaps.Describe(snapshot), _shadow.Describe());
    }

    /// <summary>A health summary: healthy while every bundle's map matches its file.</summary>
    public TrimmerHealth GetHealth() => TrimmerHealth.From(GetStatus());

    public void Dispose()
    {
        lock (_lifecycleGate)
        {
            _disposed = true;
            foreach (var source in _sources)
            {
                source.Dispose();
            }
        }
    }

    /// <summary>For tests: the source of a configured path.</summary>
    internal BundleSource Source(string path) => _sources.Single(s => s.Path == Path.GetFullPath(path));

    internal void ReloadAndPublish(BundleSource source)
    {
        try
        {
            if (source.Reload(atStartup: false))
            {
                Publish();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Runs on timer threads: an escaping exception would take the host down.
            _logger.BundleReloadFailed(source.Id, BundleReadFailure.Unreadable, ex.ToString(), source.Map?.LoadedAt ?? default);
        }
    }

    /// <summary>Rebuilds the consolidated snapshot from every bundle's current map and swaps it in.</summary>
    internal void Publish()
    {
        lock (_publishGate)
        {
            var models = new Dictionary<string, ModelAllowlists>(StringComparer.Ordinal);
            var shadowed = new HashSet<(string, string)>();
            var previous = _shadowed;
            foreach (var source in _sources)
            {
                if (source.Map is not { } map)
                {
                    continue;
                }

                foreach (var (model, allowlists) in map.Models)
                {
                    if (models.TryAdd(model, allowlists))
                    {
                        continue;
                    }

                    shadowed.Add((source.Id, model));
                    if (!previous.Contains((source.Id, model)))
                    {
                        _logger.ModelInSeveralBundles(model, models[model].Bundle, map.Bundle);
                    }
                }
            }

            var snapshot = new AllowlistSnapshot(models.ToFrozenDictionary(StringComparer.Ordinal), _snapshot.Generation + 1, _time.GetUtcNow());
            Volatile.Write(ref _shadowed, shadowed.ToFrozenSet());
            Volatile.Write(ref _snapshot, snapshot);
        }
    }
}
