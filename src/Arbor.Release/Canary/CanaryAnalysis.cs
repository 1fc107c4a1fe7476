using System.Globalization;

namespace Arbor.Release.Canary;

/// <summary>
/// Compares a canary's traffic window with production's: error rate of requests, per model the error
/// rate of its results inside answered requests and the p99 of its leaf calls, p99, leaf bytes per candidate
/// (what a trimming gap inflates) and the share of untrimmed leaf calls, each against a threshold;
/// too little traffic fails the analysis rather than passing it on no evidence. A model whose shadow
/// verification found any trimmed call scoring differently from its untrimmed twin fails outright.
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
        // fail the request: it shows here, per model, with each model's own latency.
        if (canary.Models.Count == 0)
        {
            var modelErrorLimit = production.ModelErrorRate + thresholds.MaxErrorRateIncrease;
            checks.Add(new CanaryCheck("model_error_rate", canary.ModelErrorRate, production.ModelErrorRate, modelErrorLimit, canary.ModelErrorRate <= modelErrorLimit,
                F($"canary {canary.ModelErrors} of {canary.ModelResults} model results failed ({canary.ModelErrorRate:P2}) vs production {production.ModelErrorRate:P2} (limit {modelErrorLimit:P2})")));
        }

        foreach (var (model, window) in canary.Models.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            AddModelChecks(checks, model, window, production.Models.GetValueOrDefault(model), thresholds);
        }

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

    private static void AddModelChecks(List<CanaryCheck> checks, string model, ModelWindow canary, ModelWindow? production, CanaryThresholds thresholds)
    {
        var baseline = production?.ErrorRate ?? 0;
        var errorLimit = baseline + thresholds.MaxErrorRateIncrease;
        checks.Add(new CanaryCheck($"model_error_rate[{model}]", canary.ErrorRate, baseline, errorLimit, canary.ErrorRate <= errorLimit,
            F($"canary {canary.Errors} of {canary.Results} results failed ({canary.ErrorRate:P2}) vs production {baseline:P2} (limit {errorLimit:P2})")));

        // Latency compares like with like: a model production does not serve, or one without a
        // successful call in either window, has nothing to compare with.
        if (production is { P99Ms: > 0 } && canary.P99Ms > 0)
        {
            var p99Limit = (production.P99Ms * thresholds.MaxP99Ratio) + thresholds.P99SlackMs;
            checks.Add(new CanaryCheck($"model_p99[{model}]", canary.P99Ms, production.P99Ms, p99Limit, canary.P99Ms <= p99Limit,
                F($"canary {canary.P99Ms:0.##} ms vs production {production.P99Ms:0.##} ms per leaf call (limit {p99Limit:0.##} ms)")));
        }

        // A trimmed call that scores differently from its untrimmed twin is a wrong score, not noise:
        // one mismatch fails the version, whatever production does.
        if (canary.ShadowSamples > 0 || canary.ShadowMismatches > 0)
        {
            checks.Add(new CanaryCheck($"shadow_mismatch[{model}]", canary.ShadowMismatches, production?.ShadowMismatches ?? 0, 0, canary.ShadowMismatches == 0,
                F($"canary {canary.ShadowMismatches} of {canary.ShadowSamples} shadow pairs scored differently trimmed and untrimmed (limit 0)")));
        }
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
