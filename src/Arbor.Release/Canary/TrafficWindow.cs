using Arbor.Release.Verification;

namespace Arbor.Release.Canary;

/// <summary>An environment's traffic between two snapshots of its roots' counters (summed over roots).</summary>
public sealed record TrafficWindow(
    long Requests, long Errors, long Candidates, long LeafBytesSent, long UntrimmedCalls, long TrimmedCalls, double P99Ms, long ModelResults = 0, long ModelErrors = 0,
    IReadOnlyDictionary<string, ModelWindow>? Models = null)
{
    /// <summary>Per model: its results, server errors and leaf-call p99 in the window (empty from roots that do not report them).</summary>
    public IReadOnlyDictionary<string, ModelWindow> Models { get; init; } = Models ?? new Dictionary<string, ModelWindow>();

    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    /// <summary>The share of model results that failed by the service's fault inside answered requests.</summary>
    public double ModelErrorRate => ModelResults == 0 ? 0 : (double)ModelErrors / ModelResults;

    public double BytesPerCandidate => Candidates == 0 ? 0 : (double)LeafBytesSent / Candidates;

    public double UntrimmedShare => UntrimmedCalls + TrimmedCalls == 0 ? 0 : (double)UntrimmedCalls / (UntrimmedCalls + TrimmedCalls);

    /// <summary>The window between per-root snapshots taken before and after (same roots, same order). p99 is the worst root's latest.</summary>
    public static TrafficWindow Between(IReadOnlyList<RootStats> before, IReadOnlyList<RootStats> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.Count != after.Count || before.Count == 0)
        {
            throw new ArgumentException("Snapshots of the same non-empty set of roots are needed.", nameof(after));
        }

        long requests = 0, errors = 0, candidates = 0, bytes = 0, untrimmed = 0, trimmed = 0, modelResults = 0, modelErrors = 0;
        double p99 = 0;
        var models = new Dictionary<string, ModelWindow>(StringComparer.Ordinal);
        for (var i = 0; i < before.Count; i++)
        {
            var (b, a) = (before[i], after[i]);
            // A counter that went down means the root restarted: its counters since then are the window.
            requests += Delta(b.Requests, a.Requests);
            errors += Delta(b.Errors, a.Errors);
            candidates += Delta(b.Candidates, a.Candidates);
            bytes += Delta(b.LeafBytesSent, a.LeafBytesSent);
            untrimmed += Delta(b.UntrimmedCalls, a.UntrimmedCalls);
            trimmed += Delta(b.TrimmedCalls, a.TrimmedCalls);
            modelResults += Delta(b.ModelResults, a.ModelResults);
            modelErrors += Delta(b.ModelErrors, a.ModelErrors);
            p99 = Math.Max(p99, a.P99Ms);
            foreach (var (model, now) in a.Models ?? new Dictionary<string, RootModelStats>())
            {
                var then = b.Models?.GetValueOrDefault(model);
                var window = models.GetValueOrDefault(model) ?? new ModelWindow(0, 0, 0);
                models[model] = window with
                {
                    Results = window.Results + Delta(then?.Results ?? 0, now.Results),
                    Errors = window.Errors + Delta(then?.Errors ?? 0, now.Errors),
                    P99Ms = Math.Max(window.P99Ms, now.P99Ms),
                };
            }

            foreach (var (model, now) in a.Shadow)
            {
                var then = b.Shadow.GetValueOrDefault(model);
                var window = models.GetValueOrDefault(model) ?? new ModelWindow(0, 0, 0);
                models[model] = window with
                {
                    ShadowSamples = window.ShadowSamples + Delta(then?.Samples ?? 0, now.Samples),
                    ShadowMismatches = window.ShadowMismatches + Delta(then?.Mismatches ?? 0, now.Mismatches),
                };
            }
        }

        return new TrafficWindow(requests, errors, candidates, bytes, untrimmed, trimmed, p99, modelResults, modelErrors, models);
    }

    private static long Delta(long before, long after) => after >= before ? after - before : after;
}
