using System.Diagnostics;
using Arbor.Contracts;
using Arbor.Contracts.V1;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Wire;
using Arbor.Root.Diagnostics;
using Arbor.Root.Routing;
using Arbor.Rpc.Client;
using Arbor.Rpc.Marshalling;
using Arbor.Trimming;
using Grpc.Core;

namespace Arbor.Root.FanOut;

/// <summary>
/// Sends one leaf request per model, all in parallel under the request's deadline, each trimmed to
/// its model's allowlist and compressed as configured; a failing model yields an error status while
/// the others still return their scores. A call whose replica refused the connection, went away or
/// broke the call's stream is sent to another replica of the partition (up to <see cref="LeafCall.MaxAttempts"/>) while the
/// deadline allows: scoring is idempotent. A trimmed call the leaf refuses with FAILED_PRECONDITION
/// (the version it serves uses features the allowlist lacks: a trim gap) is reported to the trimmer
/// and sent again untrimmed at once, so a gap costs bytes, never scores.
/// </summary>
public sealed class LeafFanOut(LeafClientPool clients, RootMetrics? metrics = null, FanOutMetrics? fanOutMetrics = null, FeatureTrimmer? trimmer = null)
{
    private readonly FanOutMetrics _calls = fanOutMetrics ?? new FanOutMetrics();

    /// <summary>
    /// <c>arbor.v1.Leaf/Score</c> with a request marshaller that writes the trimmed request straight
    /// into the runtime's send buffer from the columns encoded once per request.
    /// </summary>
    private static readonly Method<LeafRequestPayload, LeafScoreResponse> ScoreMethod =
        PayloadMarshaller.UnaryMethod<LeafRequestPayload, LeafScoreResponse>("arbor.v1.Leaf", "Score", LeafScoreResponse.Parser);

    /// <summary>Calls every model; the results are in the order of <paramref name="calls"/>.</summary>
    /// <param name="calls">The models to call.</param>
    /// <param name="batch">The request's encoded columns.</param>
    /// <param name="requestId">Carried to the leaves for tracing.</param>
    /// <param name="deadline">When every leaf call ends.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <param name="untrimmed">Every feature's columns for calls resent untrimmed after a trim gap; null: <paramref name="batch"/>.</param>
    public Task<LeafCallResult[]> CallAllAsync(IReadOnlyList<LeafCall> calls, EncodedBatch batch, string? requestId, DateTimeOffset deadline, CancellationToken cancellationToken, UntrimmedBatch? untrimmed = null)
    {
        var tasks = new Task<LeafCallResult>[calls.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = CallAsync(calls[i], batch, requestId, deadline, untrimmed, cancellationToken);
        }

        return Task.WhenAll(tasks);
    }

    /// <summary>
    /// One call of a shadow pair: trimmed as <paramref name="call"/>'s decision says, run by the leaf
    /// in a forward of its own (<c>unbatched</c>), and never resent untrimmed after a trim gap (the
    /// gap's status is the pair's failure; the real call already reported it).
    /// </summary>
    internal Task<LeafCallResult> CallShadowAsync(LeafCall call, EncodedBatch batch, string? requestId, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        CallAsync(call, batch, requestId, deadline, null, cancellationToken, shadow: true);

    private async Task<LeafCallResult> CallAsync(LeafCall call, EncodedBatch batch, string? requestId, DateTimeOffset deadline, UntrimmedBatch? untrimmed, CancellationToken cancellationToken, bool shadow = false)
    {
        var route = call.Route;
        var header = new LeafRequestHeader(route.Model, route.Version, requestId);
        var decision = call.Decision;
        var payload = new LeafRequestPayload(header, batch, decision, unbatched: shadow);
        if (!clients.TryGetPartition(route.Partition, out var replicas) || replicas.Count == 0)
        {
            return Failed(StatusCode.Unavailable, $"partition '{route.Partition}' has no replicas", decision, payload, null);
        }

        var options = new RpcCallOptions
        {
            Deadline = deadline,
            Encoding = call.Compression,
            CompressionThreshold = call.CompressionThreshold,
        };
        List<RpcChannel>? tried = null;
        LeafCallResult? failure = null;
        var attempt = 0;
        while (true)
        {
            attempt++;
            using var lease = replicas.TryPick(tried);
            if (lease is null)
            {
                // Every replica has been tried (or none is left): the last failure stands.
                return failure ?? Failed(StatusCode.Unavailable, $"partition '{route.Partition}' has no replicas", decision, payload, null);
            }

            if (tried is not null)
            {
                metrics?.RecordLeafRetry(route.Model);
            }

            var started = Stopwatch.GetTimestamp();
            using var activity = RootTracing.Source.StartActivity("root.leaf_call", ActivityKind.Client);
            if (activity is not null)
            {
                activity.SetTag("arbor.model", route.Model);
                activity.SetTag("arbor.partition", route.Partition);
                activity.SetTag("arbor.trimmed", !decision.IsPassThrough);
                activity.SetTag("server.address", lease.Endpoint.Address.Authority);
                activity.SetTag("arbor.attempt", attempt);
                if (shadow)
                {
                    activity.SetTag("arbor.shadow", true);
                }
            }

            try
            {
                var response = await lease.Endpoint.UnaryAsync(ScoreMethod, payload, options, cancellationToken);
                lease.Complete(success: true);
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (!shadow)
                {
                    // Shadow pairs are counted by arbor.root.trim.shadow (two calls a pair), not as traffic.
                    _calls.RecordCall(route.Model, !decision.IsPassThrough, response.CalculateSize(), elapsed.TotalSeconds, response.RowCount);
                }
                RootTracing.End(activity, "OK");
                return new LeafCallResult(response, StatusCode.OK, "", !decision.IsPassThrough, payload.Result, lease.Endpoint.Address.Authority) { Elapsed = elapsed };
            }
            catch (Exception e) when (e is RpcException or ObjectDisposedException)
            {
                var status = e switch
                {
                    // The client reports an attempt that ran out of fan_out.connect_timeout_ms as cancelled; it is the replica's failure.
                    _ when IsConnectTimeout(e) => new Grpc.Core.Status(StatusCode.Unavailable, "the replica did not answer the connection attempt"),
                    RpcException rpc => rpc.Status,
                    _ => new Grpc.Core.Status(StatusCode.Unavailable, "the replica was removed"),
                };

                // The replica answered for the request's faults (or, with UNAVAILABLE, for one model that it
                // does not serve yet); it failed for its own, or the network's, when it is gone.
                var gone = IsReplicaGone(e);
                if (gone)
                {
                    // Whatever code the client made of the transport's failure, the replica was not reachable.
                    status = new Grpc.Core.Status(StatusCode.Unavailable, status.Detail);
                }

                lease.Complete(success: !gone && status.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.ResourceExhausted or StatusCode.Cancelled or StatusCode.FailedPrecondition or StatusCode.Unavailable);
                if (!shadow)
                {
                    _calls.RecordCall(route.Model, !decision.IsPassThrough, 0, Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
                RootTracing.End(activity, status.StatusCode.ToString());
                // A replica that is gone is described without the transport's own text (it names addresses).
                failure = Failed(status.StatusCode, gone ? "no leaf replica could be reached" : status.Detail, decision, payload, lease.Endpoint.Address.Authority) with
                {
                    FailedVersion = (e as RpcException)?.Trailers.GetValue(LeafTrailers.ModelVersion),
                };
                if (status.StatusCode == StatusCode.FailedPrecondition && !decision.IsPassThrough && !shadow)
                {
                    // A trim gap: the leaf would have scored on defaults. Send every column, once, at
                    // once (the retry does not count as a replica attempt).
                    trimmer?.ReportGap(decision, status.Detail);
                    if (cancellationToken.IsCancellationRequested || clients.Time.GetUtcNow() >= deadline)
                    {
                        return failure;
                    }

                    if (await UntrimmedAsync(untrimmed, batch, cancellationToken) is not { } all)
                    {
                        return failure;
                    }

                    decision = TrimDecision.PassThrough(route.Model);
                    payload = new LeafRequestPayload(header, all, decision);
                    attempt--;
                    continue;
                }

                // UNAVAILABLE that the replica answered itself (a model it has no version of yet, a start-up
                // or a drain) goes to another replica too: another may serve it.
                if (attempt >= call.MaxAttempts || replicas.Count < 2 || !(gone || status.StatusCode == StatusCode.Unavailable) || cancellationToken.IsCancellationRequested || clients.Time.GetUtcNow() >= deadline)
                {
                    return failure;
                }

                (tried ??= []).Add(lease.Endpoint);
            }
        }
    }

    /// <summary>Every feature's columns for an untrimmed resend; null when they cannot be fetched (the gap's failure stands).</summary>
    private static async Task<EncodedBatch?> UntrimmedAsync(UntrimmedBatch? untrimmed, EncodedBatch batch, CancellationToken cancellationToken)
    {
        if (untrimmed is null)
        {
            return batch;
        }

        if (!untrimmed.Available)
        {
            return null;
        }

        try
        {
            return await untrimmed.GetAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the call failed because its replica, or the connection to it, failed: the connection
    /// was refused, reset or closed, the call's stream was reset (the client reports an HTTP/2
    /// RST_STREAM or a broken connection as INTERNAL, UNAVAILABLE or RESOURCE_EXHAUSTED by its error
    /// code), or the channel was retired. Such a status is the client's own, made from a transport
    /// failure; a status the leaf itself sent (in its trailers) is never such a failure, and neither
    /// is this call's own cancellation or deadline.
    /// </summary>
    internal static bool IsReplicaGone(Exception e)
    {
        if (e is ObjectDisposedException || IsConnectTimeout(e))
        {
            return true;
        }

        if (e is not RpcException { StatusCode: not (StatusCode.Cancelled or StatusCode.DeadlineExceeded) } rpc)
        {
            return false;
        }

        for (var inner = rpc.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the call failed because no connection to the replica could be opened in time (<c>fan_out.connect_timeout_ms</c>).</summary>
    internal static bool IsConnectTimeout(Exception e)
    {
        if (e is not RpcException { StatusCode: StatusCode.Cancelled } rpc)
        {
            return false;
        }

        for (var inner = rpc.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    private static LeafCallResult Failed(StatusCode code, string message, in TrimDecision decision, LeafRequestPayload payload, string? replica) =>
        new(null, code, message, !decision.IsPassThrough, payload.Result, replica);
}

/// <summary>One model of a request: where it goes, how it is trimmed and compressed, how many replicas it may try.</summary>
public sealed record LeafCall(ModelRoute Route, TrimDecision Decision, string? Compression, int CompressionThreshold, int MaxAttempts = 1);
