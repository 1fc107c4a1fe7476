using Arbor.Contracts.V1;
using Grpc.Core;

namespace Arbor.Leaf.Service;

/// <summary>
/// <c>arbor.v1.Leaf</c> on grpc-dotnet. A <see cref="LeafScoreException"/> becomes its status, with
/// the version the call reached in the <c>arbor-model-version</c> trailer; the call's deadline and
/// cancellation go to the scorer.
/// </summary>
[BindServiceMethod(typeof(LeafServiceBinding), nameof(LeafServiceBinding.BindService))]
public sealed class LeafGrpcService(LeafPartition partition) : Contracts.V1.Leaf.LeafBase
{
    public override async Task<LeafScoreResponse> Score(LeafScoreRequest request, ServerCallContext context)
    {
        try
        {
            var deadline = context.Deadline == DateTime.MaxValue ? (DateTimeOffset?)null : new DateTimeOffset(context.Deadline, TimeSpan.Zero);
            return await partition.Scorer.ScoreAsync(request, deadline, context.CancellationToken).ConfigureAwait(false);
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

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        Task.FromResult(partition.Scorer.ListModels());
}
