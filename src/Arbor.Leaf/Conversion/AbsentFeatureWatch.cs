using Arbor.Leaf.Diagnostics;
using Arbor.Signatures.Signatures;
using Microsoft.Extensions.Logging;

namespace Arbor.Leaf.Conversion;

/// <summary>
/// Watches, for one served model version, the features its signature needs that no request has
/// carried yet: a feature the root cannot fetch (absent from its registry or store) silently scores
/// on the input's default. Each request lacking such a feature counts once per feature in
/// <c>arbor.leaf.features.never_received{model,version,feature}</c> (tags bounded by the signature);
/// when the version has received <see cref="ReportAfterRequests"/> requests, one warning is logged
/// per feature none of them carried. Once every feature has arrived, a request costs one read.
/// </summary>
public sealed class AbsentFeatureWatch
{
    /// <summary>Requests a version receives before the features none of them carried are logged.</summary>
    public const int DefaultReportAfterRequests = 100;

    private readonly string _model;
    private readonly string _version;
    private readonly string[] _features;
    private readonly string[] _inputs;
    private readonly int[] _received;
    private readonly LeafMetrics _metrics;
    private readonly ILogger _logger;
    private int _unreceived;
    private long _requests;

    /// <param name="signature">The version's signature; feature i is the i-th feature over its inputs in order, as <see cref="FeatureConverter"/> numbers them.</param>
    /// <param name="metrics">Where the counter lives.</param>
    /// <param name="logger">Where the warnings go.</param>
    /// <param name="reportAfterRequests">Requests before the warnings.</param>
    public AbsentFeatureWatch(ModuleInfo signature, LeafMetrics metrics, ILogger logger, int reportAfterRequests = DefaultReportAfterRequests)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(reportAfterRequests, 1);
        _model = signature.Model;
        _version = signature.Version;
        _features = [.. signature.Inputs.SelectMany(i => i.Features)];
        _inputs = [.. signature.Inputs.SelectMany(i => i.Features.Select(_ => i.Name))];
        _received = new int[_features.Length];
        _unreceived = _features.Length;
        _metrics = metrics;
        _logger = logger;
        ReportAfterRequests = reportAfterRequests;
    }

    public int ReportAfterRequests { get; }

    /// <summary>The features no request has carried so far, in signature order.</summary>
    public IReadOnlyList<string> NeverReceived() => [.. _features.Where((_, i) => Volatile.Read(ref _received[i]) == 0)];

    /// <summary>Records one request: <paramref name="carried"/>[i] says whether it carried feature i.</summary>
    internal void Observe(ReadOnlySpan<bool> carried)
    {
        if (Volatile.Read(ref _unreceived) == 0)
        {
            return;
        }

        for (var i = 0; i < _received.Length; i++)
        {
            if (carried[i])
            {
                if (Volatile.Read(ref _received[i]) == 0 && Interlocked.Exchange(ref _received[i], 1) == 0)
                {
                    Interlocked.Decrement(ref _unreceived);
                }
            }
            else if (Volatile.Read(ref _received[i]) == 0)
            {
                _metrics.FeatureNeverReceived(_model, _version, _features[i]);
            }
        }

        // Exactly one request sees the count reach the threshold, so each feature is logged once.
        var requests = Interlocked.Increment(ref _requests);
        if (requests == ReportAfterRequests)
        {
            for (var i = 0; i < _received.Length; i++)
            {
                if (Volatile.Read(ref _received[i]) == 0)
                {
                    LeafLog.FeatureNeverReceived(_logger, _model, _version, _features[i], _inputs[i], requests);
                }
            }
        }
    }
}
