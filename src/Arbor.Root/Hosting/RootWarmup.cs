using System.Buffers;
using System.Diagnostics;
using Arbor.Contracts.V1;
using Arbor.Root.Cache;
using Arbor.Root.Configuration;
using Arbor.Root.Health;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Hosting;

/// <summary>
/// Warms a fresh root before it says it is ready (<see cref="RootReadinessCheck"/> reports
/// "warming up" until it is done). Once the feature store and every routed partition are ready, it
/// sends <see cref="WarmupRequests"/> one at a time, as a client would, over a gRPC channel to the
/// root's own gRPC listener (<see cref="WarmupTarget"/>: h2c or TLS as it serves), so that Kestrel's
/// HTTP/2 server, the gRPC pipeline (marshalling, interceptors, compression) and the service method
/// are compiled before the first client's call. The calls carry the process's warm-up secret
/// (<see cref="WarmupGate"/>) and are scored by <see cref="WarmupScorer"/>: nothing they do counts
/// as traffic. When the listener cannot be reached (a probe of its gRPC health service fails), the
/// requests go to the warm-up's scorer in the process instead, through protobuf as on the wire, and
/// the result says so. Over windows of requests it counts the methods the JIT compiled and measures
/// the process CPU per candidate (the loopback client's share included). The JIT compiles hot methods
/// again (instrumented, then at tier 1) on a background thread once they have been called often
/// enough, for many seconds on a busy machine, so neither a fixed number of requests nor a flat cost
/// says the code is final (a plateau of tier-0 cost is flat too): it stops when the JIT is quiet,
/// the last <see cref="QuietWindows"/> windows having compiled at most <see cref="QuietMethods"/>
/// methods each, or at <c>max_seconds</c> or <c>max_requests</c>, or after
/// <see cref="MaxFailures"/> failed requests (a request fails when any of its models does: a path
/// that fails cannot be measured, and the warm-up never spins on failures). Whether the cost was
/// flat then (the last <see cref="FlatWindows"/> windows within <see cref="FlatSpread"/> of each
/// other) is reported beside it.
/// </summary>
public sealed partial class RootWarmup : BackgroundService
{
    /// <summary>Windows whose costs must agree before the cost is called flat.</summary>
    public const int FlatWindows = 4;

    /// <summary>Largest ratio of the dearest to the cheapest of the last windows that is still flat.</summary>
    public const double FlatSpread = 1.15;

    /// <summary>Consecutive windows in which the JIT must have been quiet.</summary>
    public const int QuietWindows = 3;

    /// <summary>
    /// Most methods a quiet window may compile: a few compilations of code off the request path
    /// (timers, probes) do not hold the warm-up, a tier-1 wave of the scoring path (tens to
    /// hundreds of methods a window) does.
    /// </summary>
    public const int QuietMethods = 5;

    /// <summary>Failed requests after which the warm-up ends.</summary>
    public const int MaxFailures = 5;

    /// <summary>
    /// The deadline of each warm-up call: clients' calls carry one (the server then runs its deadline
    /// path), and this one is long enough for the first, uncompiled requests on a busy machine.
    /// </summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the probe of the gRPC listener may take.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

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
    private readonly WarmupGate _gate;
    private readonly Func<WarmupTarget> _target;
    private readonly CancellationToken _serverStarted;
    private readonly TimeSpan _poll;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CachePreload? _preload;
    private volatile WarmupResult _current;

    public RootWarmup(
        WarmupConfig config,
        FeatureStoreReadiness store,
        LeafReadiness leaves,
        RoutingState routing,
        FeaturePreprocessor features,
        Func<WarmupScorer> scorer,
        WarmupGate gate,
        Func<WarmupTarget> target,
        CancellationToken serverStarted,
        TimeSpan poll,
        TimeProvider time,
        ILogger<RootWarmup> logger,
        CachePreload? preload = null)
    {
        _config = config;
        _store = store;
        _leaves = leaves;
        _routing = routing;
        _features = features;
        _scorer = scorer;
        _gate = gate;
        _target = target;
        _serverStarted = serverStarted;
        _poll = poll;
        _time = time;
        _logger = logger;
        _preload = preload;
        _current = config.Enabled ? new WarmupResult(WarmupState.Waiting, "waiting for the feature store and the leaves", 0, 0, 0, [], false) : WarmupResult.Off;
    }

    /// <summary>Where the warm-up stands; <see cref="WarmupState.Done"/> from the start when it is off.</summary>
    public WarmupResult Current => _current;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_config.Enabled)
        {
            _gate.Close();
            return;
        }

        // Readiness is false while the dependencies are not ready anyway: waiting costs nothing.
        while (!DependenciesReady())
        {
            await Task.Delay(_poll, _time, stoppingToken);
        }

        // The listener is bound once the server has started.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_serverStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        // The hot entities first, into the shared cache: the synthetic requests that follow read a cache of their own.
        PreloadResult? preloaded = null;
        if (_preload is not null)
        {
            _current = new WarmupResult(WarmupState.Warming, $"reading the entities of {System.IO.Path.GetFileName(_preload.Path)} into the cache", 0, 0, 0, [], false);
            preloaded = await _preload.RunAsync(TimeSpan.FromSeconds(_config.MaxSeconds), _time, stoppingToken);
            LogPreloaded(_logger, preloaded.Summary);
        }

        WarmupResult result;
        using (var scorer = _scorer())
        {
            _gate.Open(scorer);
            try
            {
                result = await WarmAsync(scorer, preloaded, stoppingToken);
            }
            finally
            {
                // From here on the secret opens nothing.
                _gate.Close();
            }
        }

        if (preloaded is not null)
        {
            result = result with { Outcome = $"{result.Outcome}; {preloaded.Summary}" };
        }

        _current = result;
        LogWarmedUp(_logger, result.Outcome, result.Requests, result.Failed, result.Seconds, result.CostCurve.Count > 0 ? result.CostCurve[0] : 0, result.LastCostUsPerCandidate ?? 0, result.Path);
    }

    /// <summary>
    /// A channel to the root's own gRPC listener, or null (with why) when it cannot be reached: a
    /// call to its health service (anonymous, cheap) must get an answer.
    /// </summary>
    private async Task<(RpcChannel? Channel, string Path)> ConnectAsync(CancellationToken cancellationToken)
    {
        var target = _target();
        if (target.Address is null)
        {
            return (null, $"{WarmupResult.InProcessPath} (the gRPC listener has no bound address)");
        }

        var channel = new RpcChannel(target.Address, new RpcChannelOptions
        {
            SslOptions = target.Tls,
            ConnectTimeout = ProbeTimeout,
            ByteCounters = new ByteCounters("warmup"),
        });
        try
        {
            await new Grpc.Health.V1.Health.HealthClient(channel.Invoker).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + ProbeTimeout, cancellationToken: cancellationToken);
            return (channel, WarmupResult.GrpcPath);
        }
        catch (RpcException e)
        {
            channel.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            return (null, $"{WarmupResult.InProcessPath} (the gRPC listener at {target.Address.Authority} could not be reached: {e.StatusCode})");
        }
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

    private async Task<WarmupResult> WarmAsync(WarmupScorer scorer, PreloadResult? preloaded, CancellationToken cancellationToken)
    {
        // After a preload, the hot entities' ids: the synthetic requests then carry stored values (read into the warm-up's own cache).
        var routing = _routing.Current;
        var requests = WarmupRequests.Build(routing, _features, _config.Candidates, preloaded?.Users, preloaded?.Candidates);
        var surfaces = routing.Config.Surfaces.Count;
        var (channel, path) = await ConnectAsync(cancellationToken);
        using var owned = channel;
        var client = channel is null ? null : new Contracts.V1.Root.RootClient(channel.Invoker);
        var secret = new Metadata { { WarmupGate.Header, _gate.HeaderValue } };
        var started = _time.GetTimestamp();
        var curve = new List<double>();
        var compiled = new List<long>();
        int sent = 0, failed = 0;
        string? lastFailure = null;
        var windowStarted = started;
        var windowCpu = Environment.CpuUsage.TotalTime;
        var windowMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
        int windowRequests = 0, windowCandidates = 0;
        var response = new ArrayBufferWriter<byte>();
        WarmupResult Now(WarmupState state, string outcome, bool flat) =>
            new(state, outcome, sent, failed, _time.GetElapsedTime(started).TotalSeconds, curve.ToArray(), flat, path, compiled.ToArray());

        while (requests.Count > 0)
        {
            if (sent >= _config.MaxRequests)
            {
                return Now(WarmupState.Done, $"stopped at max_requests ({sent}) before the JIT was quiet", IsFlat(curve));
            }

            if (_time.GetElapsedTime(started).TotalSeconds >= _config.MaxSeconds)
            {
                return Now(WarmupState.Done, $"stopped at max_seconds ({_config.MaxSeconds:F0} s) before the JIT was quiet", IsFlat(curve));
            }

            var request = WarmupRequests.Pick(requests, surfaces, sent);
            sent++;
            try
            {
                ScoreResponse answer;
                var deadline = _time.GetUtcNow() + CallTimeout;
                if (client is not null)
                {
                    answer = await client.ScoreAsync(request, secret, deadline.UtcDateTime, cancellationToken);
                }
                else
                {
                    // As on the wire: the server parses the request and writes its answer, the client parses that.
                    var written = await scorer.Scorer.AnswerAsync(Scoring.ScoreQuery.Parse(request.ToByteArray()), deadline, cancellationToken);
                    response.ResetWrittenCount();
                    written.WriteTo(response);
                    answer = ScoreResponse.Parser.ParseFrom(response.WrittenSpan);
                }

                lastFailure = FirstFailedModel(answer);
            }
            catch (RpcException e)
            {
                // Stopping: the call was cancelled, not failed.
                cancellationToken.ThrowIfCancellationRequested();
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
                var methods = System.Runtime.JitInfo.GetCompiledMethodCount();
                curve.Add((cpu - windowCpu).TotalMicroseconds / windowCandidates);
                compiled.Add(methods - windowMethods);
                (windowCpu, windowMethods, windowStarted, windowRequests, windowCandidates) = (cpu, methods, _time.GetTimestamp(), 0, 0);
                if (IsJitQuiet(compiled))
                {
                    var flat = IsFlat(curve);
                    return Now(WarmupState.Done, $"JIT quiet after {sent} requests, cost {(flat ? "flat" : "not flat")}", flat);
                }

                _current = Now(WarmupState.Warming, "warming", false);
            }
        }

        return Now(WarmupState.Done, "nothing to warm: no routed model", false);
    }

    /// <summary>Whether the last <see cref="QuietWindows"/> windows each compiled at most <see cref="QuietMethods"/> methods.</summary>
    public static bool IsJitQuiet(IReadOnlyList<long> compiled)
    {
        if (compiled.Count < QuietWindows)
        {
            return false;
        }

        for (var i = compiled.Count - QuietWindows; i < compiled.Count; i++)
        {
            if (compiled[i] > QuietMethods)
            {
                return false;
            }
        }

        return true;
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

    private static string? FirstFailedModel(ScoreResponse response)
    {
        foreach (var result in response.Results)
        {
            if (result.Status is { Code: not 0 } status)
            {
                return $"{result.Model}: {(StatusCode)status.Code}";
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 2602, Level = LogLevel.Information, Message = "Warm-up {Summary}")]
    private static partial void LogPreloaded(ILogger logger, string summary);

    [LoggerMessage(EventId = 2601, Level = LogLevel.Information, Message = "Warm-up {Outcome}: {Requests} requests ({Failed} failed) in {Seconds:F1} s over {Path}; CPU per candidate {FirstUs:F1} µs in the first window, {LastUs:F1} µs in the last")]
    private static partial void LogWarmedUp(ILogger logger, string outcome, int requests, int failed, double seconds, double firstUs, double lastUs, string path);
}
