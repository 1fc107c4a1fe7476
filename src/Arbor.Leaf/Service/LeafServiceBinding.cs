using System.Diagnostics;
using Arbor.Contracts.V1;
using Arbor.Leaf.Diagnostics;
using Grpc.Core;

namespace Arbor.Leaf.Service;

/// <summary>
/// Binds <see cref="LeafGrpcService"/> with the generated <c>arbor.v1.Leaf</c> methods, except that
/// decoding a Score or ScoreUnion request gets its own span (<c>leaf.decode</c>): grpc-dotnet parses the message
/// before the service method runs, so the service's spans cannot cover it. Server reflection finds
/// the service's descriptor here.
/// </summary>
public static class LeafServiceBinding
{
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.Leaf.Descriptor;

    /// <summary>Called by grpc-dotnet through the service's <see cref="BindServiceMethodAttribute"/>.</summary>
    public static void BindService(ServiceBinderBase serviceBinder, Contracts.V1.Leaf.LeafBase serviceImpl) =>
        Contracts.V1.Leaf.BindService(new DecodeTracingBinder(serviceBinder), serviceImpl);

    private sealed class DecodeTracingBinder(ServiceBinderBase inner) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
            where TRequest : class
            where TResponse : class
        {
            if (typeof(TRequest) == typeof(LeafScoreRequest) || typeof(TRequest) == typeof(LeafUnionScoreRequest))
            {
                method = new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, Traced(method.RequestMarshaller), method.ResponseMarshaller);
            }

            inner.AddMethod(method, handler!);
        }

        private static Marshaller<T> Traced<T>(Marshaller<T> marshaller) => new(
            marshaller.ContextualSerializer,
            context =>
            {
                using var activity = LeafTracing.Source.StartActivity("leaf.decode");
                activity?.SetTag("arbor.bytes", context.PayloadLength);
                return marshaller.ContextualDeserializer(context);
            });
    }
}
