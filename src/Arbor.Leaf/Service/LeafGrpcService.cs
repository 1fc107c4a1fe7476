using System.Diagnostics;
using Arbor.Contracts.V1;
using Grpc.Core;

namespace Arbor.Leaf.Service;

/// <summary>
/// <c>arbor.v1.Leaf</c> on grpc-dotnet. A <see cref="LeafScoreException"/> becomes its status, with
/// the version the call reached in the <c>arbor-model-version</c> trailer; the call's deadline and
/// cancellation go to the scorer. An answer says how long the leaf itself took
/// (<c>leaf_time_us</c>), so that the caller can tell the call's overhead from the leaf's work.
/// </summary>
[BindServiceMethod(typeof(LeafServiceBinding), nameof(LeafServiceBinding.BindService))]
public sealed class LeafGrpcService(LeafPartition partition) : Contracts.V1.Leaf.LeafBase
{
    public override async Task<LeafScoreResponse> Score(LeafScoreRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await partition.Scorer.ScoreAsync(request, Deadline(context), context.CancellationToken).ConfigureAwait(false);
            response.LeafTimeUs = MicrosecondsSince(started);
            return response;
        }
        catch (LeafScoreException e)
        {
            var trailers = new Metadata();
            if (e.Version is { } version)
            {
                trailers.Add(Contracts.LeafTrailers.ModelVersion, version);
            }

            throw new RpcException(new Grpc.Core.Status((StatusCode)(int)e.Status, e.Message), trailers);
        }
    }

    /// <summary>A failure of the whole call (it is malformed) is its status; each model's own failure is in its result.</summary>
    public override async Task<LeafUnionScoreResponse> ScoreUnion(LeafUnionScoreRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await partition.UnionScorer.ScoreAsync(request, Deadline(context), context.CancellationToken).ConfigureAwait(false);
            response.LeafTimeUs = MicrosecondsSince(started);
            return response;
        }
        catch (LeafScoreException e)
        {
            throw new RpcException(new Grpc.Core.Status((StatusCode)(int)e.Status, e.Message));
        }
    }

    /// <summary>Microseconds since <paramref name="started"/>, at least 1 (0 means "not said").</summary>
    public static uint MicrosecondsSince(long started) =>
        (uint)Math.Clamp(Stopwatch.GetElapsedTime(started).Ticks / TimeSpan.TicksPerMicrosecond, 1, uint.MaxValue);

    private static DateTimeOffset? Deadline(ServerCallContext context) =>
        context.Deadline == DateTime.MaxValue ? null : new DateTimeOffset(context.Deadline, TimeSpan.Zero);

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(partition.Scorer.ListModels());
}
