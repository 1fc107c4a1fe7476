using Arbor.Contracts.V1;
using Arbor.Features.Batches;
using Arbor.Features.Selection;
using Arbor.Features.Wire;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Telemetry;
using Arbor.Trimming;
using Arbor.Trimming.Verification;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Root.FanOut;

/// <summary>
/// Shadow verification of the trim: a configured fraction of the trimmed calls that succeeded is
/// sent again, off the response path, as a pair — the call trimmed to the same allowlist and its
/// untrimmed twin, both built from one batch of every feature, both pinned to the version that
/// answered and both run by the leaf in a forward of their own (libtorch reproduces scores bit for
/// bit only for the same batch composition) — and the two calls' scores are compared bit for bit.
/// A mismatch means the allowlist drops a feature the version reads although the leaf's trim-gap
/// check let it through: it is counted per model version, logged with the request id and shown in
/// <c>/admin/trimmer</c>. At most <see cref="TrimmerConfig.ShadowMaxInFlight"/> pairs run at once;
/// a sample beyond that is dropped and counted.
/// </summary>
public sealed partial class ShadowVerifier(LeafFanOut fanOut, FeatureTrimmer trimmer, RootMetrics metrics, TimeProvider time, ILogger<ShadowVerifier>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>A model whose allowlist is wrong mismatches on many calls: a few lines per interval, the rest counted.</summary>
    private readonly LogLimiter _mismatchLog = new(time: time);

    private int _inFlight;

    /// <summary>Shadow pairs running now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Picks the successful trimmed calls of a request to verify (each with probability
    /// <see cref="TrimmerConfig.ShadowFraction"/>) and takes an in-flight slot for each; a sample
    /// without a slot is counted as dropped. Returns null (allocating nothing) when none is picked.
    /// </summary>
    public List<ShadowSample>? Pick(IReadOnlyList<LeafCall> calls, IReadOnlyList<LeafCallResult> results, TrimmerConfig config)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(config);
        var fraction = config.ShadowFraction;
        if (!(fraction > 0))
        {
            return null;
        }

        List<ShadowSample>? picked = null;
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            if (call.Decision.IsPassThrough || results[i] is not { Code: StatusCode.OK, Trimmed: true, Response: { } response })
            {
                continue;
            }

            if (fraction < 1 && Random.Shared.NextDouble() >= fraction)
            {
                continue;
            }

            if (Interlocked.Increment(ref _inFlight) > config.ShadowMaxInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                Record(call.Route.Model, response.Version, ShadowOutcome.Dropped, 0, null);
                continue;
            }

            // Both calls of the pair go to the version that answered, so a rollout between them is not a mismatch.
            (picked ??= []).Add(new ShadowSample(call with { Route = call.Route with { Version = response.Version } }, response.Version));
        }

        return picked;
    }

    /// <summary>
    /// Runs the pairs of <paramref name="samples"/> in the background (the caller does not wait) and
    /// gives their in-flight slots back when each ends.
    /// </summary>
    /// <param name="samples">What <see cref="Pick"/> returned.</param>
    /// <param name="requestId">The sampled request's id (sent with the pair, logged with a mismatch).</param>
    /// <param name="assemble">Fetches and builds every feature's columns of the request (called once).</param>
    /// <param name="timeout">How long the pairs may take, fetch included.</param>
    public Task Start(List<ShadowSample> samples, string? requestId, Func<CancellationToken, ValueTask<FeatureBatch>> assemble, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(assemble);
        return Task.Run(() => RunAsync(samples, requestId, assemble, timeout));
    }

    /// <summary>Counts samples whose pair could not run as failed and gives their slots back.</summary>
    private void Abandon(List<ShadowSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        foreach (var sample in samples)
        {
            Record(sample.Call.Route.Model, sample.Version, ShadowOutcome.Failed, 0, null);
        }

        Interlocked.Add(ref _inFlight, -samples.Count);
    }

    /// <summary>
    /// Compares the scores of a pair: <see cref="ShadowOutcome.Match"/> when every row and output has
    /// the same bits, <see cref="ShadowOutcome.Mismatch"/> (with the largest difference and how many
    /// scores differ) otherwise, <see cref="ShadowOutcome.Failed"/> when the two answers cannot be
    /// compared (different versions, rows or outputs).
    /// </summary>
    public static ShadowOutcome Compare(LeafScoreResponse trimmed, LeafScoreResponse untrimmed, out double maxAbsDiff, out int differing)
    {
        ArgumentNullException.ThrowIfNull(trimmed);
        ArgumentNullException.ThrowIfNull(untrimmed);
        maxAbsDiff = 0;
        differing = 0;
        if (!string.Equals(trimmed.Version, untrimmed.Version, StringComparison.Ordinal) || trimmed.RowCount != untrimmed.RowCount
            || trimmed.Scores.Count != untrimmed.Scores.Count || !trimmed.Outputs.Equals(untrimmed.Outputs))
        {
            return ShadowOutcome.Failed;
        }

        for (var i = 0; i < trimmed.Scores.Count; i++)
        {
            float a = trimmed.Scores[i], b = untrimmed.Scores[i];
            if (BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b))
            {
                continue;
            }

            differing++;
            var diff = Math.Abs((double)a - b);
            maxAbsDiff = Math.Max(maxAbsDiff, double.IsNaN(diff) ? double.PositiveInfinity : diff);
        }

        return differing == 0 ? ShadowOutcome.Match : ShadowOutcome.Mismatch;
    }

    private async Task RunAsync(List<ShadowSample> samples, string? requestId, Func<CancellationToken, ValueTask<FeatureBatch>> assemble, TimeSpan timeout)
    {
        var done = 0;
        try
        {
            using var expiry = new CancellationTokenSource(timeout, time);
            var deadline = time.GetUtcNow() + timeout;
            using var all = await EncodeAsync(assemble, expiry.Token).ConfigureAwait(false);
            foreach (var sample in samples)
            {
                var untrimmed = sample.Call with { Decision = TrimDecision.PassThrough(sample.Call.Route.Model) };
                var pair = await Task.WhenAll(
                    fanOut.CallShadowAsync(sample.Call, all, requestId, deadline, expiry.Token),
                    fanOut.CallShadowAsync(untrimmed, all, requestId, deadline, expiry.Token)).ConfigureAwait(false);
                Conclude(sample, pair[0], pair[1], requestId);
                done++;
                Interlocked.Decrement(ref _inFlight);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The features could not be fetched again (a store outage, the timeout): the rest failed.
            var rest = samples.GetRange(done, samples.Count - done);
            Abandon(rest);
        }
    }

    private static async Task<EncodedBatch> EncodeAsync(Func<CancellationToken, ValueTask<FeatureBatch>> assemble, CancellationToken cancellationToken)
    {
        using var batch = await assemble(cancellationToken).ConfigureAwait(false);
        return FeatureBatchEncoder.Encode(batch);
    }

    private void Conclude(ShadowSample sample, LeafCallResult trimmed, LeafCallResult untrimmed, string? requestId)
    {
        var model = sample.Call.Route.Model;
        if (trimmed.Response is not { } a || untrimmed.Response is not { } b)
        {
            Record(model, sample.Version, ShadowOutcome.Failed, 0, requestId);
            return;
        }

        var outcome = Compare(a, b, out var maxAbsDiff, out var differing);
        Record(model, sample.Version, outcome, maxAbsDiff, requestId);
        if (outcome == ShadowOutcome.Mismatch && _mismatchLog.TryAcquire(model, out var heldBack))
        {
            LogMismatch(model, sample.Version, sample.Call.Decision.AllowlistVersion ?? "", requestId ?? "", differing, a.Scores.Count, maxAbsDiff, heldBack);
        }
    }

    private void Record(string model, string version, ShadowOutcome outcome, double maxAbsDiff, string? requestId)
    {
        metrics.RecordShadow(model, version, OutcomeTag(outcome));
        trimmer.ReportShadow(model, version, outcome, maxAbsDiff, requestId);
    }

    private static string OutcomeTag(ShadowOutcome outcome) => outcome switch
    {
        ShadowOutcome.Match => "match",
        ShadowOutcome.Mismatch => "mismatch",
        ShadowOutcome.Failed => "failed",
        _ => "dropped",
    };

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Shadow mismatch: {Model} version {Version} trimmed to version {AllowlistVersion}'s allowlist scored {Differing} of {Scores} scores differently from untrimmed (max |diff| {MaxAbsDiff}) for request {RequestId}; the allowlist drops a feature the version reads ({HeldBack} earlier lines held back)")]
    private partial void LogMismatch(string model, string version, string allowlistVersion, string requestId, int differing, int scores, double maxAbsDiff, long heldBack);
}

/// <summary>One sampled trimmed call: the call to repeat (pinned to the version that answered) and that version.</summary>
public sealed record ShadowSample(LeafCall Call, string Version);
