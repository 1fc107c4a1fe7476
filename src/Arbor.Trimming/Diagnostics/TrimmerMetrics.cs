using System.Diagnostics.Metrics;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Trimming.Bundles;

namespace Arbor.Trimming.Diagnostics;

/// <summary>The Feature Trimmer's instruments (meter <c>Arbor.Trimming</c>).</summary>
public sealed class TrimmerMetrics
{
    /// <summary>The meter's name, for OpenTelemetry's <c>AddMeter</c>.</summary>
    public const string MeterName = "Arbor.Trimming";

    private readonly Meter _meter;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _featuresRemoved;
    private readonly Counter<long> _bytesRemoved;
    private readonly Counter<long> _bytesSent;
    private readonly Counter<long> _allowlistedAbsent;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _reloadFailures;
    private readonly Counter<long> _gaps;

    public TrimmerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _lookups = _meter.CreateCounter<long>("arbor.trimmer.lookups", "{lookup}", "Allowlist lookups by model and outcome (exact, latest_unspecified, latest_fallback, unknown_model).");
        _featuresRemoved = _meter.CreateCounter<long>("arbor.trimmer.features_removed", "{feature}", "Columns left out of leaf requests by trimming.");
        _bytesRemoved = _meter.CreateCounter<long>("arbor.trimmer.bytes_removed", "By", "Bytes of the columns left out of leaf requests.");
        _bytesSent = _meter.CreateCounter<long>("arbor.trimmer.bytes_sent", "By", "Bytes of the leaf requests written (trimmed or passed through).");
        _allowlistedAbsent = _meter.CreateCounter<long>("arbor.trimmer.allowlisted_absent", "{feature}", "Allowlisted features the request did not have (the leaf used defaults).");
        _reloads = _meter.CreateCounter<long>("arbor.trimmer.reloads", "{reload}", "Bundle reloads by bundle and result (loaded, unchanged).");
        _reloadFailures = _meter.CreateCounter<long>("arbor.trimmer.reload_failures", "{failure}", "Bundle reads that failed, by bundle and reason; the previous map stays active.");
        _gaps = _meter.CreateCounter<long>("arbor.trimmer.gaps", "{call}", "Trimmed leaf calls refused because the served version uses features the allowlist lacks (sent again untrimmed), by model and allowlist version.");
    }

    /// <summary>Counts one lookup. Allocates nothing.</summary>
    public void RecordLookup(string model, TrimOutcome outcome) =>
        _lookups.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("outcome", OutcomeTag(outcome)));

    /// <summary>Counts what one leaf request carried and what trimming left out.</summary>
    public void RecordTrim(string model, in LeafRequestWriteResult result)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        _bytesSent.Add(result.MessageBytes, tag);
        if (result.ColumnsRemoved != 0)
        {
            _featuresRemoved.Add(result.ColumnsRemoved, tag);
            _bytesRemoved.Add(result.BytesRemoved, tag);
        }

        if (result.AllowlistedAbsent != 0)
        {
            _allowlistedAbsent.Add(result.AllowlistedAbsent, tag);
        }
    }

    internal void RecordGap(string model, string allowlistVersion) =>
        _gaps.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("allowlist_version", allowlistVersion));

    internal void RecordReload(string bundle, bool changed) =>
        _reloads.Add(1, new KeyValuePair<string, object?>("bundle", bundle), new KeyValuePair<string, object?>("result", changed ? "loaded" : "unchanged"));

    internal void RecordReloadFailure(string bundle, BundleReadFailure reason) =>
        _reloadFailures.Add(1, new KeyValuePair<string, object?>("bundle", bundle), new KeyValuePair<string, object?>("reason", ReasonTag(reason)));

    /// <summary>Publishes per-bundle staleness and state gauges read from <paramref name="bundles"/> at collection time.</summary>
    internal void ObserveBundles(Func<IReadOnlyList<BundleStatus>> bundles)
    {
        _meter.CreateObservableGauge(
            "arbor.trimmer.bundle.staleness",
            () => bundles().Select(b => new Measurement<double>(b.StalenessSeconds, new KeyValuePair<string, object?>("bundle", b.Id))),
            "s",
            "How long the bundle's active map has lagged its file (0 while the file loads cleanly).");
        _meter.CreateObservableGauge(
            "arbor.trimmer.bundle.active",
            () => bundles().Select(b => new Measurement<int>(b.State == BundleState.Active ? 1 : 0, new KeyValuePair<string, object?>("bundle", b.Id))),
            "{bundle}",
            "1 while the bundle's map matches its file, 0 while it is stale, failed or pending.");
    }

    private static string OutcomeTag(TrimOutcome outcome) => outcome switch
    {
        TrimOutcome.Exact => "exact",
        TrimOutcome.LatestUnspecified => "latest_unspecified",
        TrimOutcome.LatestFallback => "latest_fallback",
        _ => "unknown_model",
    };

    private static string ReasonTag(BundleReadFailure reason) => reason switch
    {
        BundleReadFailure.Missing => "missing",
        BundleReadFailure.Unreadable => "unreadable",
        BundleReadFailure.Unstable => "unstable",
        _ => "invalid",
    };
}
