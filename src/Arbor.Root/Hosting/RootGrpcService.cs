using Arbor.Contracts.V1;
using Arbor.Root.Authentication;
using Arbor.Root.ClientTrimming;
using Arbor.Root.Scoring;
using Grpc.Core;

namespace Arbor.Root.Hosting;

/// <summary>
/// <c>arbor.v1.Root</c> on grpc-dotnet: the deadline, cancellation and client (API key) of the call
/// go to the scorer; a call authenticated as the start-up warm-up's (<see cref="WarmupGate"/>) goes
/// to the warm-up's scorer instead, so that it is not counted as traffic.
/// </summary>
public sealed class RootGrpcService(RootScorer scorer, ClientFeatureViewEndpoint clientFeatures) : Contracts.V1.Root.RootBase
{
    public override Task<ClientFeatureView> GetClientFeatures(ClientFeaturesRequest request, ServerCallContext context) =>
        Task.FromResult(clientFeatures.Get(request));

    [ScoreEndpoint]
    public override Task<ScoreResponse> Score(ScoreRequest request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        return (http.Features.Get<WarmupScorer>()?.Scorer ?? scorer).ScoreAsync(
            request,
            context.Deadline == DateTime.MaxValue ? null : new DateTimeOffset(context.Deadline, TimeSpan.Zero),
            ApiClient.Of(http),
            context.CancellationToken);
    }
}
