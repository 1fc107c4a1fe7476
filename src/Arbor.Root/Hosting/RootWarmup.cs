using System.Buffers;
using System.Diagnostics;
using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Arbor.Root.Health;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Root.Scoring;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Hosting;

/// <summary>
/// Warms a fresh root before it says it is ready (<see cref="RootReadinessCheck"/> reports
/// "warming up" until it is done). Once the feature store and every routed partition are ready, it
/// sends <see cref="WarmupRequests"/> one at a time through <see cref="WarmupScorer"/> (the scoring
/// path of a client request, with the request parsed and the answer written as on the wire)
/// and measures the process CPU per candidate over windows of requests. The JIT compiles hot
/// methods again at tier 1 on a background thread once they have been called often enough, so a
/// fixed number of requests is wrong: it stops when the last <see cref="FlatWindows"/> windows cost
/// within <see cref="FlatSpread"/> of each other, or at <c>max_seconds</c> or <c>max_requests</c>,
/// or after <see cref="MaxFailures"/> failed requests (a request fails when any of its models
/// does: a path that fails cannot be measured, and the warm-up never spins on failures).
/// </summary>
public sealed partial class RootWarmup : BackgroundService
{
    /// <summary>Windows whose costs must agree before the cost is called flat.</summary>
    public const int FlatWindows = 4;

    /// <summary>Largest ratio of the dearest to the cheapest of the last windows that is still flat.</summary>
    public const double FlatSpread = 1.15;

    /// <summary>Failed requests after which the warm-up ends.</summary>
    public const int MaxFailures = 5;

    /// <summary>Least requests in a window.</summary>
    private const int WindowRequests = 20;

    /// <summary>Least length of a window: several windows span the JIT's call-counting delay (100 ms).</summary>
    private static readonly TimeSpan WindowTime = TimeSpan.FromMilliseconds(200);

    private readonly WarmupConfig _config;
    private readonly FeatureStoreReadiness _store;
    private readonly LeafReadiness _leaves;
    private readonly RoutingState _routing;
    private readonly FeaturePreprocessor _features;
    private readonly Func<WarmupScorer> _scorer;
    private readonly TimeSpan _poll;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile WarmupResult _current;

    public RootWarmup(
        WarmupConfig config,
        FeatureStoreReadiness store,
        LeafReadiness leaves,
        RoutingState routing,
        FeaturePreprocessor features,
        Func<WarmupScorer> scorer,
        TimeSpan poll,
        TimeProvider time,
        ILogger<RootWarmup> logger)
    {
        _config = config;
        _store = store;
        _leaves = leaves;
        _routing = routing;
        _features = features;
        _scorer = scorer;
        _poll = poll;
        _time = time;
        _logger = logger;
        _current = config.Enabled ? new WarmupResult(WarmupState.Waiting, "waiting for the feature store and the leaves", 0, 0, 0, [], false) : WarmupResult.Off;
    }

    /// <summary>Where the warm-up stands; <see cref="WarmupState.Done"/> from the start when it is off.</summary>
    public WarmupResult Current => _current;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_config.Enabled)
        {
            return;
        }

        // Readiness is false while the dependencies are not ready anyway: waiting costs nothing.
        while (!DependenciesReady())
        {
            await Task.Delay(_poll, _time, stoppingToken);
        }

        using var scorer = _scorer();
        var result = await WarmAsync(scorer, stoppingToken);
        _current = result;
        LogWarmedUp(_logger, result.Outcome, result.Requests, result.Failed, result.Seconds, result.CostCurve.Count > 0 ? result.CostCurve[0] : 0, result.LastCostUsPerCandidate ?? 0);
    }

    private bool DependenciesReady()
    {
        if (!_store.Current.Ready)
        {
            return false;
        }

        foreach (var partition in _leaves.Partitions.Values)
        {
            if (!partition.State.Ready)
            {
                return false;
            }
        }

        return true;
    }

    private async Task<WarmupResult> WarmAsync(WarmupScorer scorer, CancellationToken cancellationToken)
    {
        var requests = WarmupRequests.Build(_routing.Current, _features, _config.Candidates);
        var started = _time.GetTimestamp();
        var curve = new List<double>();
        int sent = 0, failed = 0;
        string? lastFailure = null;
        var windowStarted = started;
        var windowCpu = Environment.CpuUsage.TotalTime;
        int windowRequests = 0, windowCandidates = 0;
        var response = new ArrayBufferWriter<byte>();
        WarmupResult Now(WarmupState state, string outcome, bool flat) =>
            new(state, outcome, sent, failed, _time.GetElapsedTime(started).TotalSeconds, curve.ToArray(), flat);

        while (requests.Count > 0)
        {
            if (sent >= _config.MaxRequests)
            {
                return Now(WarmupState.Done, $"stopped at max_requests ({sent}) before the cost was flat", false);
            }

            if (_time.GetElapsedTime(started).TotalSeconds >= _config.MaxSeconds)
            {
                return Now(WarmupState.Done, $"stopped at max_seconds ({_config.MaxSeconds:F0} s) before the cost was flat", false);
            }

            // As on the wire: the server parses the request and serializes the response.
            var request = ScoreRequest.Parser.ParseFrom(requests[sent % requests.Count].ToByteArray());
            sent++;
            try
            {
                var answer = await scorer.Scorer.AnswerAsync(request, deadline: null, cancellationToken);
                response.ResetWrittenCount();
                answer.WriteTo(response);
                lastFailure = FirstFailedModel(answer);
            }
            catch (RpcException e)
            {
                lastFailure = $"{e.Status.StatusCode}: {e.Status.Detail}";
            }

            if (lastFailure is not null && ++failed >= MaxFailures)
            {
                return Now(WarmupState.Done, $"stopped after {failed} failed requests (last: {lastFailure})", false);
            }

            windowRequests++;
            windowCandidates += request.Candidates.Count;
            if (windowRequests >= WindowRequests && _time.GetElapsedTime(windowStarted) >= WindowTime)
            {
                var cpu = Environment.CpuUsage.TotalTime;
                curve.Add((cpu - windowCpu).TotalMicroseconds / windowCandidates);
                (windowCpu, windowStarted, windowRequests, windowCandidates) = (cpu, _time.GetTimestamp(), 0, 0);
                if (IsFlat(curve))
                {
                    return Now(WarmupState.Done, $"flat after {sent} requests", true);
                }

                _current = Now(WarmupState.Warming, "warming", false);
            }
        }

        return Now(WarmupState.Done, "nothing to warm: no routed model", false);
    }

    /// <summary>Whether the last <see cref="FlatWindows"/> windows cost within <see cref="FlatSpread"/> of each other.</summary>
    public static bool IsFlat(IReadOnlyList<double> curve)
    {
        if (curve.Count < FlatWindows)
        {
            return false;
        }

        double min = double.MaxValue, max = 0;
        for (var i = curve.Count - FlatWindows; i < curve.Count; i++)
        {
            min = Math.Min(min, curve[i]);
            max = Math.Max(max, curve[i]);
        }

        return max <= min * FlatSpread;
    }

    private static string? FirstFailedModel(ScoreAnswer answer)
    {
        foreach (var model in answer.Models)
        {
            if (model.StatusCode != 0)
            {
                return $"{model.Model}: {(StatusCode)model.StatusCode}";
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 2601, Level = LogLevel.Information, Message = "Warm-up {Outcome}: {Requests} requests ({Failed} failed) in {Seconds:F1} s; CPU per candidate {FirstUs:F1} µs in the first window, {LastUs:F1} µs in the last")]
    private static partial void LogWarmedUp(ILogger logger, string outcome, int requests, int failed, double seconds, double firstUs, double lastUs);
}
