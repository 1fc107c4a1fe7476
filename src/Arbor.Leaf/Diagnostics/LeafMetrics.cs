using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Arbor.Leaf.Diagnostics;

/// <summary>The leaf partition's metrics (meter <c>Arbor.Leaf</c>).</summary>
public sealed class LeafMetrics : IDisposable
{
    public const string MeterName = "Arbor.Leaf";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _conversionDuration;
    private readonly Histogram<double> _inferenceDuration;
    private readonly Histogram<double> _queueDuration;
    private readonly Histogram<long> _batchRows;
    private readonly Histogram<long> _batchRequests;
    private readonly Counter<long> _unusedFeatures;
    private readonly Counter<long> _missingFeatures;
    private readonly Counter<long> _neverReceived;
    private readonly Counter<long> _deadlineSkipped;
    private readonly Counter<long> _trimGaps;
    private readonly Counter<long> _loads;
    private readonly Histogram<double> _loadDuration;
    private readonly Counter<long> _unloads;

    /// <summary>The meter every instrument belongs to.</summary>
    public Meter Meter => _meter;

    public LeafMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("arbor.leaf.requests", "{request}", "Score requests by model, version and gRPC status.");
        _requestDuration = _meter.CreateHistogram<double>("arbor.leaf.request.duration", "s", "Time to serve a Score request.");
        _conversionDuration = _meter.CreateHistogram<double>("arbor.leaf.conversion.duration", "s", "Time to decode-convert a request's features to tensors.");
        _inferenceDuration = _meter.CreateHistogram<double>("arbor.leaf.inference.duration", "s", "Time of one forward (one merged batch).");
        _queueDuration = _meter.CreateHistogram<double>("arbor.leaf.queue.duration", "s", "Time a converted request waited for an inference slot (and for batch partners) before its forward started.");
        _batchRows = _meter.CreateHistogram<long>("arbor.leaf.batch.rows", "{row}", "Rows per forward.");
        _batchRequests = _meter.CreateHistogram<long>("arbor.leaf.batch.requests", "{request}", "Requests merged into one forward.");
        _unusedFeatures = _meter.CreateCounter<long>("arbor.leaf.features.unused", "{feature}", "Features received that the model does not use (wasted bytes).");
        _missingFeatures = _meter.CreateCounter<long>("arbor.leaf.features.missing", "{feature}", "Features the model uses that requests lacked (defaults used).");
        _neverReceived = _meter.CreateCounter<long>("arbor.leaf.features.never_received", "{request}", "Requests lacking a feature their model version needs that no request to that version has carried yet (it scores on the input's default), by feature.");
        _trimGaps = _meter.CreateCounter<long>("arbor.leaf.trim_gaps", "{request}", "Trimmed requests refused because the served version uses features the allowlist they were trimmed to may lack.");
        _deadlineSkipped = _meter.CreateCounter<long>("arbor.leaf.deadline.skipped", "{request}", "Requests whose deadline passed before inference, skipped.");
        _loads = _meter.CreateCounter<long>("arbor.leaf.model.loads", "{load}", "Model version loads by outcome (available, failed).");
        _loadDuration = _meter.CreateHistogram<double>("arbor.leaf.model.load.duration", "s", "Time to load and warm up a model version.");
        _unloads = _meter.CreateCounter<long>("arbor.leaf.model.unloads", "{unload}", "Model versions unloaded.");
    }

    public void Request(string model, string version, string status, double seconds)
    {
        var tags = new TagList { { "model", model }, { "version", version }, { "status", status } };
        _requests.Add(1, tags);
        _requestDuration.Record(seconds, tags);
    }

    public void Converted(string model, string version, double seconds, int unused, int missing)
    {
        var tags = new TagList { { "model", model }, { "version", version } };
        _conversionDuration.Record(seconds, tags);
        if (unused > 0)
        {
            _unusedFeatures.Add(unused, tags);
        }

        if (missing > 0)
        {
            _missingFeatures.Add(missing, tags);
        }
    }

    public void FeatureNeverReceived(string model, string version, string feature) =>
        _neverReceived.Add(1, new TagList { { "model", model }, { "version", version }, { "feature", feature } });

    public void TrimGap(string model, string version, string allowlistVersion) =>
        _trimGaps.Add(1, new TagList { { "model", model }, { "version", version }, { "allowlist_version", allowlistVersion } });

    public void Forward(string model, string version, double seconds, int rows, int requests)
    {
        var tags = new TagList { { "model", model }, { "version", version } };
        _inferenceDuration.Record(seconds, tags);
        _batchRows.Record(rows, tags);
        _batchRequests.Record(requests, tags);
    }

    public void Queued(string model, string version, double seconds) =>
        _queueDuration.Record(seconds, new TagList { { "model", model }, { "version", version } });

    public void DeadlineSkipped(string model, string version) =>
        _deadlineSkipped.Add(1, new TagList { { "model", model }, { "version", version } });

    public void Loaded(string model, string version, string outcome, double seconds)
    {
        var tags = new TagList { { "model", model }, { "version", version }, { "outcome", outcome } };
        _loads.Add(1, tags);
        _loadDuration.Record(seconds, tags);
    }

    public void Unloaded(string model, string version) =>
        _unloads.Add(1, new TagList { { "model", model }, { "version", version } });

    /// <summary>
    /// Publishes <c>arbor.leaf.model.versions</c>: 1 per version <paramref name="models"/> lists at
    /// collection time, tagged with its state (a failed version is visible until it disappears).
    /// </summary>
    public void ObserveVersions(Func<IReadOnlyList<Models.ModelStatus>> models) =>
        _meter.CreateObservableGauge(
            "arbor.leaf.model.versions",
            () => models().SelectMany(m => m.Versions.Select(v => new Measurement<int>(
                1, new KeyValuePair<string, object?>("model", m.Name), new KeyValuePair<string, object?>("version", v.Version), new KeyValuePair<string, object?>("state", StateTag(v.State))))),
            "{version}",
            "Model versions the leaf lists, by state (loading, available, unloading, unloaded, failed).");

    public void Dispose() => _meter.Dispose();

    private static string StateTag(Models.ModelVersionState state) => state switch
    {
        Models.ModelVersionState.Loading => "loading",
        Models.ModelVersionState.Available => "available",
        Models.ModelVersionState.Unloading => "unloading",
        Models.ModelVersionState.Unloaded => "unloaded",
        _ => "failed",
    };
}
