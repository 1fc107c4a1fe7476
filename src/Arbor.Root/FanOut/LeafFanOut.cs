using System.Diagnostics;
using Arbor.Contracts.V1;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Wire;
using Arbor.Root.Routing;
using Arbor.Rpc.Client;
using Arbor.Rpc.Marshalling;
using Grpc.Core;

namespace Arbor.Root.FanOut;

/// <summary>
/// Sends one leaf request per model, all in parallel under the request's deadline, each trimmed to
/// its model's allowlist and compressed as configured; a failing model yields an error status while
/// the others still return their scores.
/// </summary>
public sealed class LeafFanOut(LeafClientPool clients, FanOutMetrics? metrics = null)
{
    private readonly FanOutMetrics _metrics = metrics ?? new FanOutMetrics();

    /// <summary>
    /// <c>arbor.v1.Leaf/Score</c> with a request marshaller that writes the trimmed request straight
    /// into the runtime's send buffer from the columns encoded once per request.
    /// </summary>
    private static readonly Method<LeafRequestPayload, LeafScoreResponse> ScoreMethod =
        PayloadMarshaller.UnaryMethod<LeafRequestPayload, LeafScoreResponse>("arbor.v1.Leaf", "Score", LeafScoreResponse.Parser);

    /// <summary>Calls every model; the results are in the order of <paramref name="calls"/>.</summary>
    public Task<LeafCallResult[]> CallAllAsync(IReadOnlyList<LeafCall> calls, EncodedBatch batch, string? requestId, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var tasks = new Task<LeafCallResult>[calls.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = CallAsync(calls[i], batch, requestId, deadline, cancellationToken);
        }

        return Task.WhenAll(tasks);
    }

    private async Task<LeafCallResult> CallAsync(LeafCall call, EncodedBatch batch, string? requestId, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var route = call.Route;
        var payload = new LeafRequestPayload(new LeafRequestHeader(route.Model, route.Version, requestId), batch, call.Decision);
        if (!clients.TryGetPartition(route.Partition, out var replicas))
        {
            return Failed(StatusCode.Unavailable, $"partition '{route.Partition}' has no replicas", call, payload, null);
        }

        using var lease = replicas.Pick();
        var started = Stopwatch.GetTimestamp();
        var options = new RpcCallOptions
        {
            Deadline = deadline,
            Encoding = call.Compression,
            CompressionThreshold = call.CompressionThreshold,
        };
        try
        {
            var response = await lease.Endpoint.UnaryAsync(ScoreMethod, payload, options, cancellationToken);
            lease.Complete(success: true);
            _metrics.RecordCall(route.Model, !call.Decision.IsPassThrough, response.CalculateSize(), Stopwatch.GetElapsedTime(started).TotalSeconds);
            return new LeafCallResult(response, StatusCode.OK, "", !call.Decision.IsPassThrough, payload.Result, lease.Endpoint.Address.Authority);
        }
        catch (RpcException e)
        {
            // The replica answered for the request's faults; it failed for its own (or the network's).
            lease.Complete(success: e.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.ResourceExhausted or StatusCode.Cancelled);
            _metrics.RecordCall(route.Model, !call.Decision.IsPassThrough, 0, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return Failed(e.StatusCode, e.Status.Detail, call, payload, lease.Endpoint.Address.Authority);
        }
    }

    private static LeafCallResult Failed(StatusCode code, string message, LeafCall call, LeafRequestPayload payload, string? replica) =>
        new(null, code, message, !call.Decision.IsPassThrough, payload.Result, replica);
}

/// <summary>One model of a request: where it goes, how it is trimmed and compressed.</summary>
public sealed record LeafCall(ModelRoute Route, TrimDecision Decision, string? Compression, int CompressionThreshold);
