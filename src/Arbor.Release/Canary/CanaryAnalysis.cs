using System.Globalization;

namespace Arbor.Release.Canary;

/// <summary>
/// Compares a canary's traffic window with production's: error rate of requests and of the model
/// results inside answered requests, p99, leaf bytes per candidate
/// (what a trimming gap inflates) and the share of untrimmed leaf calls, each against a threshold;
/// too little traffic fails the analysis rather than passing it on no evidence.
/// </summary>
public static class CanaryAnalysis
{
    public static CanaryVerdict Evaluate(TrafficWindow canary, TrafficWindow production, CanaryThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(production);
        ArgumentNullException.ThrowIfNull(thresholds);
        var checks = new List<CanaryCheck>();
        var minimum = Math.Min(canary.Requests, production.Requests);
        checks.Add(new CanaryCheck("traffic", canary.Requests, production.Requests, thresholds.MinRequests, minimum >= thresholds.MinRequests,
            F($"canary {canary.Requests} requests, production {production.Requests}; at least {thresholds.MinRequests} each needed")));

        var errorLimit = production.ErrorRate + thresholds.MaxErrorRateIncrease;
        checks.Add(new CanaryCheck("error_rate", canary.ErrorRate, production.ErrorRate, errorLimit, canary.ErrorRate <= errorLimit,
            F($"canary {canary.ErrorRate:P2} vs production {production.ErrorRate:P2} (limit {errorLimit:P2})")));

        // A model that fails inside answered requests (its forward throws for some inputs) does not
        // fail the request: it shows here.
        var modelErrorLimit = production.ModelErrorRate + thresholds.MaxErrorRateIncrease;
        checks.Add(new CanaryCheck("model_error_rate", canary.ModelErrorRate, production.ModelErrorRate, modelErrorLimit, canary.ModelErrorRate <= modelErrorLimit,
            F($"canary {canary.ModelErrors} of {canary.ModelResults} model results failed ({canary.ModelErrorRate:P2}) vs production {production.ModelErrorRate:P2} (limit {modelErrorLimit:P2})")));

        var p99Limit = (production.P99Ms * thresholds.MaxP99Ratio) + thresholds.P99SlackMs;
        checks.Add(new CanaryCheck("p99", canary.P99Ms, production.P99Ms, p99Limit, canary.P99Ms <= p99Limit,
            F($"canary {canary.P99Ms:0.##} ms vs production {production.P99Ms:0.##} ms (limit {p99Limit:0.##} ms)")));

        var bytesLimit = production.BytesPerCandidate * thresholds.MaxBytesPerCandidateRatio;
        var bytesPassed = production.Candidates == 0 || canary.BytesPerCandidate <= bytesLimit;
        checks.Add(new CanaryCheck("bytes_per_candidate", canary.BytesPerCandidate, production.BytesPerCandidate, bytesLimit, bytesPassed,
            F($"canary {canary.BytesPerCandidate:0.#} B vs production {production.BytesPerCandidate:0.#} B per candidate (limit {bytesLimit:0.#} B)")));

        var untrimmedLimit = production.UntrimmedShare + thresholds.MaxUntrimmedShareIncrease;
        checks.Add(new CanaryCheck("untrimmed_share", canary.UntrimmedShare, production.UntrimmedShare, untrimmedLimit, canary.UntrimmedShare <= untrimmedLimit,
            F($"canary {canary.UntrimmedShare:P2} vs production {production.UntrimmedShare:P2} of leaf calls untrimmed (limit {untrimmedLimit:P2})")));

        return new CanaryVerdict(canary, production, checks);
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
