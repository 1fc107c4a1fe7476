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
/// and sent again untrimmed at once, so a gap costs bytes, never scores. Models of one partition may
/// instead share one ScoreUnion call carrying the union of their columns once
/// (<see cref="PartitionCallMode"/>); each keeps its own result, retries and counts.
/// </summary>
public sealed class LeafFanOut(LeafClientPool clients, RootMetrics? metrics = null, FanOutMetrics? fanOutMetrics = null, FeatureTrimmer? trimmer = null)
{
    private readonly FanOutMetrics _calls = fanOutMetrics ?? new FanOutMetrics();
    private readonly ScoreUnionSupport _unionSupport = new(clients.Time);

    /// <summary>
    /// <c>arbor.v1.Leaf/Score</c> with a request marshaller that writes the trimmed request straight
    /// into the runtime's send buffer from the columns encoded once per request.
    /// </summary>
    private static readonly Method<LeafRequestPayload, LeafScoreResponse> ScoreMethod =
        PayloadMarshaller.UnaryMethod<LeafRequestPayload, LeafScoreResponse>("arbor.v1.Leaf", "Score", LeafScoreResponse.Parser);

    /// <summary>
    /// <c>arbor.v1.Leaf/ScoreUnion</c>: one call for several models of a partition, written the same
    /// way from the same encoded columns, each column once.
    /// </summary>
    private static readonly Method<LeafUnionRequestPayload, LeafUnionScoreResponse> ScoreUnionMethod =
        PayloadMarshaller.UnaryMethod<LeafUnionRequestPayload, LeafUnionScoreResponse>("arbor.v1.Leaf", "ScoreUnion", LeafUnionScoreResponse.Parser);

    /// <summary>Calls every model; the results are in the order of <paramref name="calls"/>.</summary>
    /// <param name="calls">The models to call.</param>
    /// <param name="batch">The request's encoded columns.</param>
    /// <param name="requestId">Carried to the leaves for tracing.</param>
    /// <param name="deadline">When every leaf call ends.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <param name="untrimmed">Every feature's columns for calls resent untrimmed after a trim gap; null: <paramref name="batch"/>.</param>
    /// <param name="partitionCalls">Whether models that go to the same partition share one union call.</param>
    public async Task<LeafCallResult[]> CallAllAsync(IReadOnlyList<LeafCall> calls, EncodedBatch batch, string? requestId, DateTimeOffset deadline, CancellationToken cancellationToken, UntrimmedBatch? untrimmed = null, PartitionCallMode partitionCalls = PartitionCallMode.PerModel)
    {
        var results = new LeafCallResult[calls.Count];
        var tasks = new List<Task>(calls.Count);
        var grouped = partitionCalls == PartitionCallMode.PerModel || calls.Count < 2 ? null : new bool[calls.Count];
        for (var i = 0; i < calls.Count; i++)
        {
            if (grouped is not null && !grouped[i] && UnionOf(calls, i, grouped, batch, requestId, partitionCalls) is { } union)
            {
                tasks.Add(CallUnionAsync(calls, union, batch, requestId, deadline, untrimmed, results, cancellationToken));
            }
            else if (grouped is null || !grouped[i])
            {
                tasks.Add(CallIntoAsync(results, i, calls[i], batch, requestId, deadline, untrimmed, cancellationToken));
            }
        }

        await Task.WhenAll(tasks);
        return results;
    }

    private async Task CallIntoAsync(LeafCallResult[] results, int index, LeafCall call, EncodedBatch batch, string? requestId, DateTimeOffset deadline, UntrimmedBatch? untrimmed, CancellationToken cancellationToken, RpcChannel? tried = null, int attempts = 0) =>
        results[index] = await CallAsync(call, batch, requestId, deadline, untrimmed, cancellationToken, tried: tried, attempts: attempts);

    /// <summary>
    /// The union call of <paramref name="calls"/>[<paramref name="first"/>] and the later calls that
    /// can share it (same partition, compression and attempts; a model at most once), marking them
    /// grouped; null when it would carry one model, or, in <see cref="PartitionCallMode.Auto"/>, when it
    /// is not smaller than their per-model calls together.
    /// </summary>
    private static UnionCall? UnionOf(IReadOnlyList<LeafCall> calls, int first, bool[] grouped, EncodedBatch batch, string? requestId, PartitionCallMode mode)
    {
        var head = calls[first];
        List<int>? members = null;
        for (var j = first + 1; j < calls.Count; j++)
        {
            var call = calls[j];
            if (grouped[j] || !SharesCall(head, call) || string.Equals(call.Route.Model, head.Route.Model, StringComparison.Ordinal) || (members is not null && members.Exists(m => string.Equals(calls[m].Route.Model, call.Route.Model, StringComparison.Ordinal))))
            {
                continue;
            }

            (members ??= [first]).Add(j);
        }

        if (members is null)
        {
            return null;
        }

        var entries = new LeafUnionEntry[members.Count];
        for (var k = 0; k < entries.Length; k++)
        {
            var route = calls[members[k]].Route;
            entries[k] = new LeafUnionEntry(route.Model, route.Version, calls[members[k]].Decision);
        }

        var request = new LeafUnionRequest(batch, entries, requestId);
        if (mode == PartitionCallMode.Auto)
        {
            long perModel = 0;
            foreach (var member in members)
            {
                var call = calls[member];
                perModel += LeafRequestWriter.Measure(new LeafRequestHeader(call.Route.Model, call.Route.Version, requestId), batch, call.Decision);
            }

            if (request.MessageBytes >= perModel)
            {
                return null;
            }
        }

        foreach (var member in members)
        {
            grouped[member] = true;
        }

        return new UnionCall([.. members], request);
    }

    private static bool SharesCall(LeafCall a, LeafCall b) =>
        string.Equals(a.Route.Partition, b.Route.Partition, StringComparison.Ordinal)
        && string.Equals(a.Compression, b.Compression, StringComparison.Ordinal)
        && a.CompressionThreshold == b.CompressionThreshold
        && a.MinCompressionSaving.Equals(b.MinCompressionSaving)
        && a.MaxAttempts == b.MaxAttempts;

    /// <summary>
    /// One ScoreUnion call for the models of <paramref name="union"/>, retried on another replica as a
    /// Score call is. Each model's result is its own: a trim gap is resent untrimmed and a model the
    /// replica has no version of (UNAVAILABLE) goes to another replica, each as a Score call of its
    /// own; a leaf that has no ScoreUnion (UNIMPLEMENTED) gets per-model calls, and no union calls for
    /// a while (<see cref="ScoreUnionSupport"/>): a union call that picks such a replica goes as
    /// per-model calls instead, each picking its own replica, so the partition's load stays spread
    /// over all its replicas while some are older.
    /// </summary>
    private async Task CallUnionAsync(IReadOnlyList<LeafCall> calls, UnionCall union, EncodedBatch batch, string? requestId, DateTimeOffset deadline, UntrimmedBatch? untrimmed, LeafCallResult[] results, CancellationToken cancellationToken)
    {
        var head = calls[union.Members[0]];
        var partition = head.Route.Partition;
        var payload = new LeafUnionRequestPayload(union.Request);
        if (!clients.TryGetPartition(partition, out var replicas) || replicas.Count == 0)
        {
            FailAll(calls, union, results, StatusCode.Unavailable, $"partition '{partition}' has no replicas", null);
            return;
        }

        var options = new RpcCallOptions
        {
            Deadline = deadline,
            Encoding = head.Compression,
            CompressionThreshold = head.CompressionThreshold,
            MinCompressionSaving = head.MinCompressionSaving,
        };
        List<RpcChannel>? tried = null;
        var attempt = 0;
        LeafUnionScoreResponse response;
        RpcChannel answered;
        long started;
        while (true)
        {
            attempt++;
            using var lease = replicas.TryPick(tried);
            if (lease is null)
            {
                if (attempt == 1)
                {
                    FailAll(calls, union, results, StatusCode.Unavailable, $"partition '{partition}' has no replicas", null);
                }

                // Otherwise every replica has been tried: the last failure stands.
                return;
            }

            if (attempt > 1)
            {
                foreach (var member in union.Members)
                {
                    metrics?.RecordLeafRetry(calls[member].Route.Model);
                }
            }

            if (_unionSupport.HasRefused(lease.Endpoint))
            {
                // A replica that refused ScoreUnion recently is not asked again: the models go as
                // Score calls, each to the replica it picks.
                lease.Unused();
                await CallEachAsync(calls, union, batch, requestId, deadline, untrimmed, results, cancellationToken);
                return;
            }

            started = Stopwatch.GetTimestamp();
            using var activity = RootTracing.Source.StartActivity("root.leaf_call", ActivityKind.Client);
            if (activity is not null)
            {
                activity.SetTag("arbor.partition", partition);
                activity.SetTag("arbor.union", true);
                activity.SetTag("arbor.models", ModelNames(calls, union));
                activity.SetTag("server.address", lease.Endpoint.Address.Authority);
                activity.SetTag("arbor.attempt", attempt);
            }

            try
            {
                response = await lease.Endpoint.UnaryAsync(ScoreUnionMethod, payload, options, cancellationToken);
                lease.Complete(success: true);
                _calls.RecordLeafTime(partition, Stopwatch.GetElapsedTime(started), response.LeafTimeUs);
                RootTracing.End(activity, "OK");
                answered = lease.Endpoint;
                break;
            }
            catch (Exception e) when (e is RpcException or ObjectDisposedException)
            {
                var status = StatusOf(e);
                var gone = IsReplicaGone(e);
                lease.Complete(success: !gone && AnsweredFault(status.StatusCode));
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                foreach (var member in union.Members)
                {
                    _calls.RecordCall(calls[member].Route.Model, !calls[member].Decision.IsPassThrough, 0, seconds);
                }

                RootTracing.End(activity, status.StatusCode.ToString());
                if (status.StatusCode == StatusCode.Unimplemented && !gone)
                {
                    // A leaf from before ScoreUnion: its models are called one by one, and so are
                    // those of the next requests while it is remembered as refusing.
                    _unionSupport.Refused(lease.Endpoint);
                    metrics?.RecordUnionRefused(partition);
                    await CallEachAsync(calls, union, batch, requestId, deadline, untrimmed, results, cancellationToken);
                    return;
                }

                FailAll(calls, union, results, status.StatusCode, gone ? "no leaf replica could be reached" : status.Detail, lease.Endpoint.Address.Authority);
                if (attempt >= head.MaxAttempts || replicas.Count < 2 || !(gone || status.StatusCode == StatusCode.Unavailable) || cancellationToken.IsCancellationRequested || clients.Time.GetUtcNow() >= deadline)
                {
                    return;
                }

                (tried ??= []).Add(lease.Endpoint);
            }
        }

        // The replica's lease is released: models sent again go to other replicas.
        await SplitAsync(calls, union, response, Stopwatch.GetElapsedTime(started), answered, attempt, batch, requestId, deadline, untrimmed, results, cancellationToken);
    }

    /// <summary>Gives each model of a union call its result; models that failed for a reason a Score call would retry go again on their own.</summary>
    private async Task SplitAsync(IReadOnlyList<LeafCall> calls, UnionCall union, LeafUnionScoreResponse response, TimeSpan elapsed, RpcChannel replica, int attempt, EncodedBatch batch, string? requestId, DateTimeOffset deadline, UntrimmedBatch? untrimmed, LeafCallResult[] results, CancellationToken cancellationToken)
    {
        var authority = replica.Address.Authority;
        var written = union.Request.ModelResults;
        List<Task>? again = null;
        for (var k = 0; k < union.Members.Length; k++)
        {
            var index = union.Members[k];
            var call = calls[index];
            var trimmed = !call.Decision.IsPassThrough;
            var result = k < response.Results.Count ? response.Results[k] : null;
            if (result?.Response is { } scored && (result.Status is null || result.Status.Code == (int)StatusCode.OK))
            {
                _calls.RecordCall(call.Route.Model, trimmed, scored.CalculateSize(), elapsed.TotalSeconds, scored.RowCount);
                results[index] = new LeafCallResult(scored, StatusCode.OK, "", trimmed, written[k], authority) { Elapsed = elapsed };
                continue;
            }

            _calls.RecordCall(call.Route.Model, trimmed, 0, elapsed.TotalSeconds);
            var code = result?.Status is { } status ? (StatusCode)status.Code : StatusCode.Internal;
            var message = result?.Status?.Message ?? $"the leaf answered {response.Results.Count} results for {union.Members.Length} models";
            results[index] = new LeafCallResult(null, code, message, trimmed, written[k], authority)
            {
                FailedVersion = string.IsNullOrEmpty(result?.Version) ? null : result.Version,
            };
            if (code == StatusCode.FailedPrecondition && trimmed)
            {
                (again ??= []).Add(ResendUntrimmedAsync(results, index, call, message, batch, requestId, deadline, untrimmed, cancellationToken));
            }
            else if (code == StatusCode.Unavailable && attempt < call.MaxAttempts && clients.TryGetPartition(call.Route.Partition, out var replicas) && replicas.Count >= 2
                && !cancellationToken.IsCancellationRequested && clients.Time.GetUtcNow() < deadline)
            {
                (again ??= []).Add(CallIntoAsync(results, index, call, batch, requestId, deadline, untrimmed, cancellationToken, replica, attempt));
            }
        }

        if (again is not null)
        {
            await Task.WhenAll(again);
        }
    }

    /// <summary>A trim gap in a union call: reported, and the model sent again untrimmed in a Score call of its own.</summary>
    private async Task ResendUntrimmedAsync(LeafCallResult[] results, int index, LeafCall call, string message, EncodedBatch batch, string? requestId, DateTimeOffset deadline, UntrimmedBatch? untrimmed, CancellationToken cancellationToken)
    {
        trimmer?.ReportGap(call.Decision, message);
        if (cancellationToken.IsCancellationRequested || clients.Time.GetUtcNow() >= deadline)
        {
            return;
        }

        if (await UntrimmedAsync(untrimmed, batch, cancellationToken) is not { } all)
        {
            return;
        }

        results[index] = await CallAsync(call with { Decision = TrimDecision.PassThrough(call.Route.Model) }, all, requestId, deadline, null, cancellationToken);
    }

    private async Task CallEachAsync(IReadOnlyList<LeafCall> calls, UnionCall union, EncodedBatch batch, string? requestId, DateTimeOffset deadline, UntrimmedBatch? untrimmed, LeafCallResult[] results, CancellationToken cancellationToken)
    {
        var tasks = new Task[union.Members.Length];
        for (var k = 0; k < tasks.Length; k++)
        {
            tasks[k] = CallIntoAsync(results, union.Members[k], calls[union.Members[k]], batch, requestId, deadline, untrimmed, cancellationToken);
        }

        await Task.WhenAll(tasks);
    }

    private static void FailAll(IReadOnlyList<LeafCall> calls, UnionCall union, LeafCallResult[] results, StatusCode code, string message, string? replica)
    {
        var written = union.Request.ModelResults;
        for (var k = 0; k < union.Members.Length; k++)
        {
            results[union.Members[k]] = new LeafCallResult(null, code, message, !calls[union.Members[k]].Decision.IsPassThrough, written[k], replica);
        }
    }

    private static string[] ModelNames(IReadOnlyList<LeafCall> calls, UnionCall union)
    {
        var names = new string[union.Members.Length];
        for (var k = 0; k < names.Length; k++)
        {
            names[k] = calls[union.Members[k]].Route.Model;
        }

        return names;
    }

    /// <summary>The models sharing one union call (indexes into the request's calls) and its request.</summary>
    private sealed record UnionCall(int[] Members, LeafUnionRequest Request);

    /// <summary>
    /// One call of a shadow pair: trimmed as <paramref name="call"/>'s decision says, run by the leaf
    /// in a forward of its own (<c>unbatched</c>), and never resent untrimmed after a trim gap (the
    /// gap's status is the pair's failure; the real call already reported it).
    /// </summary>
    internal Task<LeafCallResult> CallShadowAsync(LeafCall call, EncodedBatch batch, string? requestId, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        CallAsync(call, batch, requestId, deadline, null, cancellationToken, shadow: true);

    /// <param name="tried">A replica already tried (by a union call), not picked again.</param>
    /// <param name="attempts">Attempts already made (by a union call).</param>
    private async Task<LeafCallResult> CallAsync(LeafCall call, EncodedBatch batch, string? requestId, DateTimeOffset deadline, UntrimmedBatch? untrimmed, CancellationToken cancellationToken, bool shadow = false, RpcChannel? tried = null, int attempts = 0)
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
            MinCompressionSaving = call.MinCompressionSaving,
        };
        List<RpcChannel>? triedReplicas = tried is null ? null : [tried];
        LeafCallResult? failure = null;
        var attempt = attempts;
        while (true)
        {
            attempt++;
            using var lease = replicas.TryPick(triedReplicas);
            if (lease is null)
            {
                // Every replica has been tried (or none is left): the last failure stands.
                return failure ?? Failed(StatusCode.Unavailable, $"partition '{route.Partition}' has no replicas", decision, payload, null);
            }

            if (triedReplicas is not null)
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
                    _calls.RecordLeafTime(route.Partition, elapsed, response.LeafTimeUs);
                }
                RootTracing.End(activity, "OK");
                return new LeafCallResult(response, StatusCode.OK, "", !decision.IsPassThrough, payload.Result, lease.Endpoint.Address.Authority) { Elapsed = elapsed };
            }
            catch (Exception e) when (e is RpcException or ObjectDisposedException)
            {
                var status = StatusOf(e);
                var gone = IsReplicaGone(e);
                lease.Complete(success: !gone && AnsweredFault(status.StatusCode));
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

                (triedReplicas ??= []).Add(lease.Endpoint);
            }
        }
    }

    /// <summary>The status a failed leaf call ends with.</summary>
    private static Grpc.Core.Status StatusOf(Exception e) => e switch
    {
        // The client reports an attempt that ran out of fan_out.connect_timeout_ms as cancelled; it is the replica's failure.
        _ when IsConnectTimeout(e) => new Grpc.Core.Status(StatusCode.Unavailable, "the replica did not answer the connection attempt"),
        // Whatever code the client made of the transport's failure (a reset stream is INTERNAL), the replica was not reachable.
        RpcException rpc when IsReplicaGone(e) => new Grpc.Core.Status(StatusCode.Unavailable, rpc.Status.Detail),
        RpcException rpc => rpc.Status,
        _ => new Grpc.Core.Status(StatusCode.Unavailable, "the replica was removed"),
    };

    /// <summary>
    /// Whether a replica that is not gone answered with <paramref name="code"/> for the request's faults
    /// (or, with UNAVAILABLE, for one model that it does not serve yet, and with UNIMPLEMENTED for a
    /// method it has not), not its own: it stays healthy.
    /// </summary>
    private static bool AnsweredFault(StatusCode code) =>
        code is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.ResourceExhausted or StatusCode.Cancelled or StatusCode.FailedPrecondition or StatusCode.Unavailable or StatusCode.Unimplemented;

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
public sealed record LeafCall(ModelRoute Route, TrimDecision Decision, string? Compression, int CompressionThreshold, int MaxAttempts = 1, double MinCompressionSaving = 0);
