using Arbor.Contracts.V1;
using Arbor.Rpc.Marshalling;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>
/// Method descriptors of arbor.v1.Leaf for <c>RpcChannel.UnaryAsync</c> (the generated ones are
/// private to the generated client), over Arbor's buffer-based protobuf marshaller.
/// </summary>
public static class LeafMethods
{
    public const string Service = "arbor.v1.Leaf";

    public static Method<LeafScoreRequest, LeafScoreResponse> Score { get; } =
        new(MethodType.Unary, Service, "Score", ProtobufMarshaller.Create(LeafScoreRequest.Parser), ProtobufMarshaller.Create(LeafScoreResponse.Parser));

    public static Method<ListModelsRequest, ListModelsResponse> ListModels { get; } =
        new(MethodType.Unary, Service, "ListModels", ProtobufMarshaller.Create(ListModelsRequest.Parser), ProtobufMarshaller.Create(ListModelsResponse.Parser));

    /// <summary>Score with a request written by an <see cref="IRpcPayload"/>.</summary>
    public static Method<PartsPayload, LeafScoreResponse> ScorePayload { get; } =
        PayloadMarshaller.UnaryMethod<PartsPayload, LeafScoreResponse>(Service, "Score", LeafScoreResponse.Parser);

    /// <summary>A method of the Leaf service that does not exist.</summary>
    public static Method<ListModelsRequest, ListModelsResponse> Missing { get; } =
        new(MethodType.Unary, Service, "Explode", ProtobufMarshaller.Create(ListModelsRequest.Parser), ProtobufMarshaller.Create(ListModelsResponse.Parser));

    /// <summary>A method of a service that does not exist.</summary>
    public static Method<ListModelsRequest, ListModelsResponse> MissingService { get; } =
        new(MethodType.Unary, "arbor.v1.Nowhere", "ListModels", ProtobufMarshaller.Create(ListModelsRequest.Parser), ProtobufMarshaller.Create(ListModelsResponse.Parser));
}
