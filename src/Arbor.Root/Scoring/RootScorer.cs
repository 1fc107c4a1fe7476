using System.Diagnostics;
using Arbor.Contracts.V1;
using Arbor.Features.Selection;
using Arbor.Features.Wire;
using Arbor.Root.Admission;
using Arbor.Root.Authentication;
using Arbor.Root.Batching;
using Arbor.Root.Cache;
using Arbor.Root.ClientTrimming;
using Arbor.Root.Diagnostics;
using Arbor.Root.FanOut;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Trimming;
using Arbor.Trimming.Diagnostics;
using Arbor.Trimming.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using GrpcStatus = Grpc.Core.Status;
using RpcException = Grpc.Core.RpcException;
using RpcStatusCode = Grpc.Core.StatusCode;

namespace Arbor.Root.Scoring;

/// <summary>
/// The life of a score request at the root: validate, resolve the models (routing and
/// experiments), decide each model's trim, fetch what those models use through the shared cache,
/// preprocess once, encode the columns once, fan out one trimmed, compressed call per model (or one
/// call per partition carrying the union of its models' columns, <c>fan_out.partition_calls</c>), and
/// gather the scores with a status per model.
/// </summary>
/// <remarks>
/// The start-up warm-up (<see cref="Hosting.RootWarmup"/>) runs its own instance with
/// <paramref name="trims"/> set: its requests are not traffic, so their trims are counted there,
/// not in the trimmer's statistics (its other counts go to the warm-up's own <paramref name="metrics"/>).
/// </remarks>
public sealed class RootScorer(
    RoutingState routing,
    FeatureTrimmer trimmer,
    RequestBatchAssembler assembler,
    FetchPlanner planner,
    LeafFanOut fanOut,
    RootMetrics metrics,
    TimeProvider time,
    AdmissionControl? admission = null,
    ClientFeatureViews? clientViews = null,
    ILogger<RootScorer>? logger = null,
    ShadowVerifier? shadow = null,
    TrimmerMetrics? trims = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(1);

    /// <summary>Scores a request of no particular client (<see cref="ApiClient.Anonymous"/>) into a generated response.</summary>
    public Task<ScoreResponse> ScoreAsync(ScoreRequest request, DateTimeOffset? deadline, CancellationToken cancellationToken) =>
        ScoreAsync(request, deadline, ApiClient.Anonymous, cancellationToken);

    /// <summary>Scores a request of <paramref name="client"/> into a generated response (the JSON endpoint).</summary>
    public async Task<ScoreResponse> ScoreAsync(ScoreRequest request, DateTimeOffset? deadline, ApiClient client, CancellationToken cancellationToken) =>
        (await AnswerAsync(ScoreQuery.From(request), deadline, client, cancellationToken)).ToResponse();

    /// <summary>Scores a request of no particular client (<see cref="ApiClient.Anonymous"/>).</summary>
    public Task<ScoreAnswer> AnswerAsync(ScoreQuery request, DateTimeOffset? deadline, CancellationToken cancellationToken) =>
        AnswerAsync(request, deadline, ApiClient.Anonymous, cancellationToken);

    /// <summary>
    /// Scores a request of <paramref name="client"/>; request-level errors throw <see cref="RpcException"/>
    /// with their status. The answer writes the <c>ScoreResponse</c> bytes itself (the gRPC path).
    /// </summary>
    public async Task<ScoreAnswer> AnswerAsync(ScoreQuery request, DateTimeOffset? deadline, ApiClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var started = Stopwatch.GetTimestamp();
        using var activity = RootTracing.Source.StartActivity("root.score");
        activity?.SetTag("arbor.request_id", request.RequestId);
        activity?.SetTag("arbor.candidates", request.Count);
        var status = "OK";
        try
        {
            // One routing snapshot for the request's whole life, its default deadline included.
            var table = routing.Current;
            var requestDeadline = deadline ?? time.GetUtcNow().AddMilliseconds(table.Config.Limits.DefaultDeadlineMs);
            if (admission is null)
            {
                return await ScoreCoreAsync(request, table, requestDeadline, cancellationToken);
            }

            var queued = Stopwatch.GetTimestamp();
            using var turn = await admission.EnterAsync(requestDeadline, cancellationToken);
            metrics.RecordStage(RequestStage.Queue, Stopwatch.GetElapsedTime(queued));
            return await ScoreCoreAsync(request, table, requestDeadline, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away (past its deadline the server's status handling says so).
            status = RpcStatusCode.Cancelled.ToString();
            throw;
        }
        catch (Exception e)
        {
            // Every other outcome, expected or not, is counted as the status the client gets.
            var failure = RootOutcomes.ToRpcException(e, _logger);
            status = failure.StatusCode.ToString();
            if (ReferenceEquals(failure, e))
            {
                throw;
            }

            throw failure;
        }
        finally
        {
            request.ReturnSlots();
            metrics.RecordRequest(status, request.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds, client.Name);
            RootTracing.End(activity, status);
        }
    }

    private async Task<ScoreAnswer> ScoreCoreAsync(ScoreQuery request, RoutingTable table, DateTimeOffset requestDeadline, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var config = table.Config;
        // The ids become strings here: those the cache holds take its own (and their slots, for the read below).
        assembler.ResolveIds(request);
        Validate(request, config.Limits);
        // Each candidate id is scored once; the response answers every requested entry.
        var candidates = DistinctCandidates.Of(request, config.Limits, metrics);
        var scored = candidates.Scored;
        var routes = ModelResolution.Resolve(request, table, config.Limits);

        var snapshot = trimmer.Snapshot;
        var clientTrimmed = request.ClientFeaturesVersion.Length > 0 && RequireCurrentClientView(request, table, snapshot);

        var calls = new LeafCall[routes.Count];
        var decisions = new TrimDecision[routes.Count];
        for (var i = 0; i < calls.Length; i++)
        {
            var route = routes[i];
            var decision = decisions[i] = TrimChoice.Decide(trimmer, snapshot, route, config);
            var compression = route.Compression ?? config.FanOut.Compression;
            calls[i] = new LeafCall(route, decision, compression == "identity" ? null : compression, config.FanOut.CompressionThresholdBytes, config.FanOut.MaxLeafAttempts, config.FanOut.MinSaving);
        }

        // What to read and how to build the columns: one plan per trimmer snapshot and model set.
        var plan = planner.PlanFor(snapshot, decisions);

        // One token for every wait of the request: it fires at the deadline or when the caller cancels.
        using var expiry = new CancellationTokenSource(UntilDeadline(requestDeadline), time);
        using var linked = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), expiry);
        var stage = "fetching features";
        try
        {
            ThrowIfExpired(expiry.Token, cancellationToken, requestDeadline, stage);
            // A bad client value or an unavailable store ends the request here (RootOutcomes says how).
            var batch = await assembler.AssembleAsync(scored, plan, expiry.Token, candidates.Entries);
            var encoding = Stopwatch.GetTimestamp();
            metrics.RecordStage(RequestStage.Features, Stopwatch.GetElapsedTime(started, encoding));

            ThrowIfExpired(expiry.Token, cancellationToken, requestDeadline, stage);
            stage = "calling the leaves";
            var callDeadline = LeafDeadline(requestDeadline, config.Limits.LeafTimeoutMs);
            using var encoded = EncodeAndRelease(batch);
            using var untrimmed = clientTrimmed
                ? UntrimmedBatch.None
                : ReferenceEquals(plan, planner.All)
                    ? UntrimmedBatch.Same(encoded)
                    : new UntrimmedBatch(_ => assembler.AssembleAsync(scored, planner.All, expiry.Token, candidates.Entries));
            var calling = Stopwatch.GetTimestamp();
            metrics.RecordStage(RequestStage.Encode, Stopwatch.GetElapsedTime(encoding, calling));
            // Leaf calls end at their own, earlier deadline (a slow leaf is that model's DEADLINE_EXCEEDED).
            var results = await fanOut.CallAllAsync(calls, encoded, request.RequestId, callDeadline, cancellationToken, untrimmed, PartitionCallModes.Parse(config.FanOut.PartitionCalls));
            metrics.RecordStage(RequestStage.Leaves, Stopwatch.GetElapsedTime(calling));

            var models = new ModelAnswer[calls.Length];
            for (var i = 0; i < calls.Length; i++)
            {
                var model = models[i] = ToModelAnswer(request, candidates, calls[i], results[i]);
                metrics.RecordModelResult(model.Model, model.Version, model.StatusCode, results[i].Elapsed.TotalMilliseconds);
            }

            // A sample of the trimmed calls is verified against untrimmed twins in the background; the
            // request fetched only its allowlists' features, so the pair fetches every feature again.
            if (!clientTrimmed && shadow?.Pick(calls, results, config.Trimmer) is { } samples)
            {
                _ = shadow.Start(
                    samples,
                    request.RequestId,
                    token => assembler.AssembleAsync(scored, planner.All, token, candidates.Entries),
                    TimeSpan.FromMilliseconds(Math.Max(config.Limits.DefaultDeadlineMs, config.Limits.LeafTimeoutMs ?? 0)));
            }

            return new ScoreAnswer(request.RequestId, models);
        }
        catch (OperationCanceledException) when (IsDeadline(cancellationToken, requestDeadline))
        {
            throw DeadlineExceeded(stage);
        }
        finally
        {
            // Ends any wait the request leaves behind (a read still pending when another one failed).
            await expiry.CancelAsync();
        }
    }

    /// <summary>Encodes the batch's columns once, then hands the batch's pooled column buffers back.</summary>
    private static EncodedBatch EncodeAndRelease(Features.Batches.FeatureBatch batch)
    {
        // The columns are encoded once here; each leaf call then writes its model's subset (the trim).
        using var activity = RootTracing.Source.StartActivity("root.trim_encode");
        using (batch)
        {
            return FeatureBatchEncoder.Encode(batch);
        }
    }

    /// <summary>The time left until <paramref name="deadline"/> as a timer delay: zero once it passed, no timer when too far to matter.</summary>
    private TimeSpan UntilDeadline(DateTimeOffset deadline)
    {
        var remaining = deadline - time.GetUtcNow();
        return remaining <= TimeSpan.Zero ? TimeSpan.Zero
            : remaining >= MaxTimerDelay ? Timeout.InfiniteTimeSpan
            : remaining;
    }

    /// <summary>A cancellation the caller did not ask for, or one at or past the deadline, is the deadline's.</summary>
    private bool IsDeadline(CancellationToken callerToken, DateTimeOffset deadline) =>
        !callerToken.IsCancellationRequested || time.GetUtcNow() >= deadline;

    private void ThrowIfExpired(CancellationToken expiry, CancellationToken callerToken, DateTimeOffset deadline, string stage)
    {
        if (expiry.IsCancellationRequested)
        {
            if (IsDeadline(callerToken, deadline))
            {
                throw DeadlineExceeded(stage);
            }

            callerToken.ThrowIfCancellationRequested();
        }
    }

    private static RpcException DeadlineExceeded(string stage) =>
        new(new GrpcStatus(RpcStatusCode.DeadlineExceeded, $"the request's deadline passed while {stage}"));

    /// <summary>
    /// Leaf calls end a little before the request does, so that a slow leaf becomes that model's
    /// DEADLINE_EXCEEDED inside a response rather than failing the whole request.
    /// </summary>
    private DateTimeOffset LeafDeadline(DateTimeOffset requestDeadline, int? leafTimeoutMs)
    {
        var now = time.GetUtcNow();
        var remaining = requestDeadline - now;
        var margin = TimeSpan.FromTicks(Math.Min(remaining.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks));
        var deadline = requestDeadline - (margin > TimeSpan.Zero ? margin : TimeSpan.Zero);
        return leafTimeoutMs is { } cap && now.AddMilliseconds(cap) < deadline ? now.AddMilliseconds(cap) : deadline;
    }

    private static void Validate(ScoreQuery request, Configuration.LimitsConfig limits)
    {
        if (request.Malformed is { } malformed)
        {
            throw InvalidArgument($"the request is not a valid arbor.v1.ScoreRequest: {malformed}");
        }

        if (request.Count == 0)
        {
            throw InvalidArgument("the request has no candidates");
        }

        if (request.Count > limits.MaxCandidates)
        {
            throw InvalidArgument($"the request has {request.Count} candidates; the limit is {limits.MaxCandidates}");
        }

        if (ClientEcho.ExceedsUtf8(request.RequestId, limits.MaxRequestIdBytes, out var bytes))
        {
            throw InvalidArgument($"request_id is {bytes} bytes; the limit is {limits.MaxRequestIdBytes}");
        }

        if (ClientEcho.ExceedsUtf8(request.UserId, limits.MaxIdBytes, out bytes))
        {
            throw InvalidArgument($"user_id is {bytes} bytes; the limit is {limits.MaxIdBytes}");
        }

        for (var i = 0; i < request.Count; i++)
        {
            var id = request.IdOf(i);
            if (string.IsNullOrEmpty(id))
            {
                throw InvalidArgument($"candidates[{i}].id is empty");
            }

            if (ClientEcho.ExceedsUtf8(id, limits.MaxIdBytes, out bytes))
            {
                throw InvalidArgument($"candidates[{i}].id is {bytes} bytes; the limit is {limits.MaxIdBytes}");
            }
        }
    }

    private static RpcException InvalidArgument(string message) => new(new GrpcStatus(RpcStatusCode.InvalidArgument, message));

    /// <summary>
    /// A request trimmed by its client to a view that is no longer current may lack a feature a
    /// model now uses: it is refused (FAILED_PRECONDITION, the current version in the
    /// <see cref="ClientFeatureViewTrailer"/> trailer) so that the client refreshes and resends it.
    /// True when the current view drops features (the request cannot be resent untrimmed after a trim gap).
    /// </summary>
    private bool RequireCurrentClientView(ScoreQuery request, RoutingTable table, AllowlistSnapshot snapshot)
    {
        if (clientViews is null)
        {
            return false;
        }

        var current = clientViews.For(table, snapshot, request.Surface, request.Models);
        if (!string.Equals(current.Version, request.ClientFeaturesVersion, StringComparison.Ordinal))
        {
            metrics.RecordClientViewRefused();
            throw new RpcException(
                new GrpcStatus(RpcStatusCode.FailedPrecondition, $"the client feature view changed: the current version is {current.Version}"),
                new Grpc.Core.Metadata { { ClientFeatureViewTrailer, current.Version } });
        }

        return !current.AllFeatures;
    }

    /// <summary>The trailer naming the current client feature view version when a request's is stale.</summary>
    public const string ClientFeatureViewTrailer = "arbor-client-features-version";

    /// <summary>
    /// One model's result: per requested candidate, in request order, the scores of the row scored for
    /// it, answered from the leaf's own score list (no copy, no object per candidate).
    /// </summary>
    private ModelAnswer ToModelAnswer(ScoreQuery request, DistinctCandidates candidates, LeafCall call, LeafCallResult result)
    {
        var route = call.Route;
        var message = RootOutcomes.ModelMessage(route.Model, result.Code, result.Message, _logger);
        metrics.RecordLeafCall(route.Model, result.Code.ToString(), result.Written.MessageBytes, result.Trimmed, result.Written.ValueBytes);
        if (result.Response is not { } response)
        {
            return new ModelAnswer(route.Model, result.FailedVersion ?? route.Version ?? "", (int)result.Code, message, result.Trimmed, route.Partition);
        }

        if (trims is null)
        {
            trimmer.RecordTrim(call.Decision, result.Written);
        }
        else
        {
            trims.RecordTrim(call.Decision.Model, result.Written);
        }

        var outputs = response.Outputs.Count;
        var rows = candidates.Scored.Count;
        if (response.RowCount != rows || outputs == 0 || response.Scores.Count != rows * outputs)
        {
            return new ModelAnswer(
                route.Model,
                "",
                (int)RpcStatusCode.Internal,
                $"the leaf answered {response.Scores.Count} scores for {response.RowCount} rows and {outputs} outputs; {rows} rows were sent",
                result.Trimmed,
                route.Partition);
        }

        if (call.Decision.AllowlistVersion is { } trimmedFor && trimmedFor != response.Version)
        {
            metrics.RecordVersionMismatch(route.Model);
        }

        return new ModelAnswer(
            route.Model,
            response.Version,
            (int)result.Code,
            message,
            result.Trimmed,
            route.Partition,
            response.Outputs,
            new ScoreTable(request, candidates, response.Scores, outputs));
    }
}
