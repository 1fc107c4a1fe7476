using Arbor.Contracts.V1;
using Arbor.Root.Authentication;
using Arbor.Root.ClientTrimming;
using Arbor.Root.Scoring;
using Arbor.Rpc.Marshalling;
using Grpc.Core;

namespace Arbor.Root.Hosting;

/// <summary>
/// <c>arbor.v1.Root</c> on grpc-dotnet: the deadline, cancellation and client (API key) of the call go
/// to the scorer; a call authenticated as the start-up warm-up's (<see cref="WarmupGate"/>) goes to
/// the warm-up's scorer instead, so that it is not counted as traffic. Score reads its request as a
/// <see cref="ScoreQuery"/> (no object per candidate) and answers with a
/// <see cref="ScoreAnswer"/> that writes its <c>ScoreResponse</c> bytes straight into the send
/// buffer; GetClientFeatures is bound as generated. Server reflection finds the service's
/// descriptor here.
/// </summary>
/// <remarks>
/// Bound the way generated code binds a service: grpc-dotnet finds each handler as a public virtual
/// method declared on the bound type (its attributes, <see cref="ScoreEndpointAttribute"/> included,
/// become the endpoint's metadata), hence not sealed.
/// </remarks>
[BindServiceMethod(typeof(RootGrpcService), nameof(BindService))]
public class RootGrpcService(RootScorer scorer, ClientFeatureViewEndpoint clientFeatures)
{
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Root.Descriptor;

    /// <summary>Called by grpc-dotnet through the service's <see cref="BindServiceMethodAttribute"/>.</summary>
    public static void BindService(ServiceBinderBase serviceBinder, RootGrpcService? service) =>
        Contracts.V1.Root.BindService(new AnswerBinder(serviceBinder, service), null!);

    public virtual Task<ClientFeatureView> GetClientFeatures(ClientFeaturesRequest request, ServerCallContext context) =>
        Task.FromResult(clientFeatures.Get(request));

    [ScoreEndpoint]
    public virtual Task<ScoreAnswer> Score(ScoreQuery request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        return (http.Features.Get<WarmupScorer>()?.Scorer ?? scorer).AnswerAsync(
            request,
            context.Deadline == DateTime.MaxValue ? null : new DateTimeOffset(context.Deadline, TimeSpan.Zero),
            ApiClient.Of(http),
            context.CancellationToken);
    }

    /// <summary>Takes the generated methods, answering Score with the answer's own serializer.</summary>
    private sealed class AnswerBinder(ServiceBinderBase inner, RootGrpcService? service) : ServiceBinderBase
    {
        private static readonly Marshaller<ScoreAnswer> AnswerMarshaller = PayloadMarshaller.Create<ScoreAnswer>();

        // Reads the request without an object per candidate; malformed bytes reach the scorer, which refuses (and counts) them.
        private static readonly Marshaller<ScoreQuery> QueryMarshaller = new(
            static (_, _) => throw new NotSupportedException("The root never sends a score request."),
            static context => ScoreQuery.Parse(context.PayloadAsReadOnlySequence()));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
            where TRequest : class
            where TResponse : class
        {
            if (method is Method<ScoreRequest, ScoreResponse> score)
            {
                inner.AddMethod(
                    new Method<ScoreQuery, ScoreAnswer>(score.Type, score.ServiceName, score.Name, QueryMarshaller, AnswerMarshaller),
                    service is null ? null : service.Score);
            }
            else if (method is Method<ClientFeaturesRequest, ClientFeatureView> view)
            {
                inner.AddMethod(view, service is null ? null : service.GetClientFeatures);
            }
            else
            {
                throw new InvalidOperationException($"arbor.v1.Root has a method this binding does not know: {method.FullName}");
            }
        }
    }
}
