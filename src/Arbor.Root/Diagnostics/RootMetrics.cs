using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Arbor.Root.Preprocessing;
using Arbor.Telemetry;

namespace Arbor.Root.Diagnostics;

/// <summary>The root's request and fan-out instruments (meter <c>Arbor.Root</c>).</summary>
public sealed class RootMetrics : IDisposable
{
    public const string MeterName = "Arbor.Root";

    /// <summary>The <c>feature</c> label of client values whose name the registry does not define (one label, whatever the names: the label set stays bounded).</summary>
    public const string UnknownFeature = "(unknown)";

    /// <summary>The <c>outcome</c> label of each <see cref="ClientValueOutcome"/>, by its value.</summary>
    private static readonly string[] OutcomeLabels =
    [
        "accepted", "rejected_non_finite", "rejected_out_of_type", "rejected_no_kind", "rejected_unknown",
        "defaulted_non_finite", "defaulted_out_of_type", "defaulted_no_kind", "dropped_unknown",
    ];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _candidates;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _stageDuration;
    private readonly long[] _stageCounts = new long[StageNames.Length];
    private readonly long[] _stageTicks = new long[StageNames.Length];
    private readonly Counter<long> _leafCalls;
    private readonly Counter<long> _leafRequestBytes;
    private readonly Counter<long> _leafValueBytes;
    private readonly Counter<long> _versionMismatches;
    private readonly Counter<long> _leafRetries;
    private readonly Counter<long> _leafEjections;
    private readonly Counter<long> _unionRefusals;
    private readonly Counter<long> _clientViewRefused;
    private readonly Counter<long> _modelResults;
    private readonly Counter<long> _clientValues;
    private readonly Counter<long> _duplicateCandidates;
    private readonly Counter<long> _authRejected;
    private readonly Counter<long> _shadow;
    private long _requestCount;
    private long _errorCount;
    private long _clientErrorCount;
    private long _modelResultCount;
    private long _modelErrorCount;
    private long _candidateCount;
    private long _trimmedCalls;
    private long _untrimmedCalls;
    private long _leafRetryCount;
    private long _leafValueByteCount;
    private long _leafEjectionCount;
    private readonly ConcurrentDictionary<string, ModelTotals> _models = new(StringComparer.Ordinal);
    private readonly TimeProvider? _time;

    /// <param name="meterFactory">Creates the meter (DI); null creates a standalone one.</param>
    /// <param name="time">The clock of the latency window.</param>
    /// <param name="meterName">The meter's name: another one keeps these counts out of the exported metrics (the warm-up's).</param>
    public RootMetrics(IMeterFactory? meterFactory = null, TimeProvider? time = null, string meterName = MeterName)
    {
        Latencies = new LatencyWindow(time: time);
        _time = time;
        _meter = meterFactory?.Create(meterName) ?? new Meter(meterName);
        _requests = _meter.CreateCounter<long>("arbor.root.requests", "{request}", "Score requests by gRPC status, its class (ok, client, server) and client (the API key's name; anonymous without one).");
        _authRejected = _meter.CreateCounter<long>(
            "arbor.root.auth.rejected", "{call}", "Public API calls refused for their API key, by reason: missing or invalid.");
        _modelResults = _meter.CreateCounter<long>(
            "arbor.root.model.results", "{result}",
            "Model results in score responses by model, version, gRPC status and class: a model that failed inside a successful response is a server error of that model.");
        _candidates = _meter.CreateCounter<long>("arbor.root.candidates", "{candidate}", "Candidates scored.");
        _duration = _meter.CreateHistogram<double>("arbor.root.request.duration", "ms", "Score request latency at the root.");
        _stageDuration = _meter.CreateHistogram<double>(
            "arbor.root.request.stage.duration", "ms",
            "Time of score requests at the root by stage: queue (waiting for admission), features (routing, trim decisions, the features' fetch and columns), encode (the columns, once), leaves (the fan-out, until every leaf call ended).");
        _leafCalls = _meter.CreateCounter<long>("arbor.root.leaf.calls", "{call}", "Leaf calls by model and status.");
        _leafRequestBytes = _meter.CreateCounter<long>("arbor.root.leaf.request_bytes", "By", "Serialized leaf request bytes (before compression) by model.");
        _leafValueBytes = _meter.CreateCounter<long>(
            "arbor.root.leaf.value_bytes", "By",
            "Raw bytes of the feature values leaf requests carried (4 a float, 8 an int64 or id, 4·dim a vector), by model: what request_bytes would be with no encoding overhead.");
        _versionMismatches = _meter.CreateCounter<long>(
            "arbor.root.trim.version_mismatches", "{call}", "Leaf answers from a version other than the one whose allowlist trimmed the request.");
        _shadow = _meter.CreateCounter<long>(
            "arbor.root.trim.shadow", "{pair}",
            "Sampled trimmed calls verified by a shadow pair (trimmed and untrimmed, each unbatched at the leaf), by model, version and outcome: match, mismatch, failed or dropped.");
        _leafRetries = _meter.CreateCounter<long>(
            "arbor.root.leaf.retries", "{call}", "Leaf calls sent again to another replica because theirs refused the connection or went away, by model.");
        _leafEjections = _meter.CreateCounter<long>(
            "arbor.root.leaf.ejections", "{ejection}", "Leaf replicas taken out of traffic after failed calls in a row, by partition.");
        _unionRefusals = _meter.CreateCounter<long>(
            "arbor.root.leaf.union_refusals", "{call}",
            "ScoreUnion calls a leaf replica answered UNIMPLEMENTED (a leaf from before union calls), by partition; for 30 s a union call that picks that replica then goes as per-model calls, before it is asked again.");
        _clientViewRefused = _meter.CreateCounter<long>(
            "arbor.root.client_features.stale", "{request}", "Requests refused because their client trimmed them to a client feature view that is no longer current.");
        _clientValues = _meter.CreateCounter<long>(
            "arbor.root.client_values", "{value}",
            "Feature values clients sent, by registry feature (unknown names under one label) and outcome: accepted, or rejected, defaulted or dropped by the registry's input policy.");
        _duplicateCandidates = _meter.CreateCounter<long>(
            "arbor.root.duplicate_candidates", "{candidate}",
            "Candidate entries that repeat an id already in their request, by action (rejected: the request was refused; scored_once: scored with the first).");
    }

    /// <summary>Requests finished since start (any status).</summary>
    public long RequestCount => Interlocked.Read(ref _requestCount);

    /// <summary>Requests that failed as a whole by the service's fault (server errors) since start.</summary>
    public long ErrorCount => Interlocked.Read(ref _errorCount);

    /// <summary>Requests refused for the client's own mistake (client errors: a bad argument, an unknown model...) since start.</summary>
    public long ClientErrorCount => Interlocked.Read(ref _clientErrorCount);

    /// <summary>Model results in responses since start (one per model per answered request).</summary>
    public long ModelResultCount => Interlocked.Read(ref _modelResultCount);

    /// <summary>Model results that failed by the service's fault (server errors), inside answered requests.</summary>
    public long ModelErrorCount => Interlocked.Read(ref _modelErrorCount);

    /// <summary>Leaf calls sent trimmed / untrimmed since start.</summary>
    public long TrimmedCalls => Interlocked.Read(ref _trimmedCalls);

    public long UntrimmedCalls => Interlocked.Read(ref _untrimmedCalls);

    /// <summary>Latencies of the successful requests of the last minute.</summary>
    public LatencyWindow Latencies { get; }

    /// <summary>The label of each <see cref="RequestStage"/>, by its value.</summary>
    public static readonly string[] StageNames = ["queue", "features", "encode", "leaves"];

    /// <summary>Counts one request's time in <paramref name="stage"/>. Allocates nothing.</summary>
    public void RecordStage(RequestStage stage, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _stageCounts[(int)stage]);
        Interlocked.Add(ref _stageTicks[(int)stage], elapsed.Ticks);
        _stageDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("stage", StageNames[(int)stage]));
    }

    /// <summary>Requests that went through <paramref name="stage"/> since start, and their time in it.</summary>
    public (long Count, TimeSpan Total) StageTotals(RequestStage stage) =>
        (Interlocked.Read(ref _stageCounts[(int)stage]), TimeSpan.FromTicks(Interlocked.Read(ref _stageTicks[(int)stage])));

    /// <summary>Candidates of successful requests since start.</summary>
    public long CandidateCount => Interlocked.Read(ref _candidateCount);

    /// <summary>Counts <paramref name="count"/> client values of <paramref name="feature"/> (a registry feature, or <see cref="UnknownFeature"/>) with one outcome.</summary>
    public void RecordClientValues(string feature, ClientValueOutcome outcome, long count) =>
        _clientValues.Add(count, new KeyValuePair<string, object?>("feature", feature), new KeyValuePair<string, object?>("outcome", OutcomeLabels[(int)outcome]));

    /// <summary>Counts the repeated candidate entries of one request and what was done with them (<c>rejected</c> or <c>scored_once</c>).</summary>
    public void RecordDuplicateCandidates(string action, int count) =>
        _duplicateCandidates.Add(count, new KeyValuePair<string, object?>("action", action));

    /// <summary>Counts a request refused for a stale client feature view.</summary>
    public void RecordClientViewRefused() => _clientViewRefused.Add(1);

    /// <summary>Counts a public API call refused for its credential (<paramref name="reason"/>: missing or invalid).</summary>
    public void RecordAuthRejected(string reason) => _authRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <param name="status">The gRPC status name.</param>
    /// <param name="candidates">The request's candidates.</param>
    /// <param name="milliseconds">How long it took.</param>
    /// <param name="client">The API key's name (a configured name, or <c>anonymous</c>): bounded by the config.</param>
    public void RecordRequest(string status, int candidates, double milliseconds, string client = "anonymous")
    {
        Interlocked.Increment(ref _requestCount);
        var statusClass = StatusClasses.Of(status);
        var label = StatusClasses.Label(statusClass);
        _requests.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("class", label), new KeyValuePair<string, object?>("client", client));
        _duration.Record(milliseconds, new KeyValuePair<string, object?>("status", status));
        switch (statusClass)
        {
            case StatusClass.Ok:
                Latencies.Record(milliseconds);
                Interlocked.Add(ref _candidateCount, candidates);
                _candidates.Add(candidates);
                break;
            case StatusClass.ClientError:
                Interlocked.Increment(ref _clientErrorCount);
                break;
            default:
                Interlocked.Increment(ref _errorCount);
                break;
        }
    }

    /// <summary>
    /// Counts one model's result in an answered request (its version is empty when no leaf answered),
    /// with the time its leaf call took when it succeeded (the model's latency in canary analysis).
    /// </summary>
    public void RecordModelResult(string model, string version, int code, double? leafMilliseconds = null)
    {
        Interlocked.Increment(ref _modelResultCount);
        var statusClass = StatusClasses.Of(code);
        var totals = _models.GetOrAdd(model, static (_, time) => new ModelTotals(time), _time);
        Interlocked.Increment(ref totals.Results);
        if (statusClass == StatusClass.ServerError)
        {
            Interlocked.Increment(ref _modelErrorCount);
            Interlocked.Increment(ref totals.Errors);
        }
        else if (statusClass == StatusClass.Ok && leafMilliseconds is { } milliseconds)
        {
            totals.Latencies.Record(milliseconds);
        }

        _modelResults.Add(
            1,
            new KeyValuePair<string, object?>("model", model),
            new KeyValuePair<string, object?>("version", version),
            new KeyValuePair<string, object?>("status", ((Grpc.Core.StatusCode)code).ToString()),
            new KeyValuePair<string, object?>("class", StatusClasses.Label(statusClass)));
    }

    /// <summary>
    /// Per model (those routed since start; the routing table bounds them): results and server errors
    /// since start, and the p50/p99 of its successful leaf calls over the last minute.
    /// </summary>
    public IReadOnlyList<ModelStats> ModelStatistics()
    {
        var stats = new List<ModelStats>(_models.Count);
        foreach (var (model, totals) in _models)
        {
            var percentiles = totals.Latencies.Percentiles(50, 99);
            stats.Add(new ModelStats(model, Interlocked.Read(ref totals.Results), Interlocked.Read(ref totals.Errors), percentiles[0], percentiles[1]));
        }

        stats.Sort((a, b) => string.CompareOrdinal(a.Model, b.Model));
        return stats;
    }

    public void RecordLeafCall(string model, string status, int requestBytes, bool trimmed, long valueBytes = 0)
    {
        Interlocked.Increment(ref trimmed ? ref _trimmedCalls : ref _untrimmedCalls);
        Interlocked.Add(ref _leafValueByteCount, valueBytes);
        var modelTag = new KeyValuePair<string, object?>("model", model);
        _leafCalls.Add(1, modelTag, new("status", status));
        _leafRequestBytes.Add(requestBytes, modelTag);
        _leafValueBytes.Add(valueBytes, modelTag);
    }

    /// <summary>Raw bytes of the feature values leaf requests carried since start (see <c>arbor.root.leaf.value_bytes</c>).</summary>
    public long LeafValueBytes => Interlocked.Read(ref _leafValueByteCount);

    public void RecordVersionMismatch(string model) =>
        _versionMismatches.Add(1, new KeyValuePair<string, object?>("model", model));

    /// <summary>Counts one shadow sample's outcome (<c>match</c>, <c>mismatch</c>, <c>failed</c> or <c>dropped</c>).</summary>
    public void RecordShadow(string model, string version, string outcome) =>
        _shadow.Add(1, new("model", model), new("version", version), new("outcome", outcome));

    /// <summary>Leaf calls retried on another replica since start.</summary>
    public long LeafRetryCount => Interlocked.Read(ref _leafRetryCount);

    public void RecordLeafRetry(string model)
    {
        Interlocked.Increment(ref _leafRetryCount);
        _leafRetries.Add(1, new KeyValuePair<string, object?>("model", model));
    }

    /// <summary>Leaf replicas ejected since start.</summary>
    public long LeafEjectionCount => Interlocked.Read(ref _leafEjectionCount);

    public void RecordLeafEjection(string partition)
    {
        Interlocked.Increment(ref _leafEjectionCount);
        _leafEjections.Add(1, new KeyValuePair<string, object?>("partition", partition));
    }

    public void RecordUnionRefused(string partition) => _unionRefusals.Add(1, new KeyValuePair<string, object?>("partition", partition));

    public void Dispose() => _meter.Dispose();

    private sealed class ModelTotals(TimeProvider? time)
    {
        public long Results;
        public long Errors;

        public LatencyWindow Latencies { get; } = new(capacity: 2048, time: time);
    }
}
