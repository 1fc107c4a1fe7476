using Google.Protobuf;
using Grpc.Core;

namespace Arbor.Rpc.Marshalling;

/// <summary>
/// grpc-dotnet marshallers for messages that write their own bytes (<see cref="IRpcPayload"/>): the
/// root's leaf requests, and the root's score answers.
/// The serializer announces the exact length, then writes straight into the buffer the runtime
/// sends from (<see cref="SerializationContext.GetBufferWriter"/>): for an uncompressed call that
/// is the pooled array behind the frame header, so the payload is written once and never copied
/// into an intermediate message.
/// </summary>
public static class PayloadMarshaller
{
    /// <summary>A method whose request is written by an <see cref="IRpcPayload"/> and whose response is a protobuf message.</summary>
    public static Method<TPayload, TResponse> UnaryMethod<TPayload, TResponse>(string service, string name, MessageParser<TResponse> responseParser)
        where TPayload : class, IRpcPayload
        where TResponse : IMessage<TResponse> =>
        new(MethodType.Unary, service, name, Create<TPayload>(), ProtobufMarshaller.Create(responseParser));

    /// <summary>The sending side's marshaller (serialize only; payloads are never read back).</summary>
    public static Marshaller<TPayload> Create<TPayload>()
        where TPayload : class, IRpcPayload =>
        new(Serialize, static _ => throw new NotSupportedException("A payload marshaller only serializes."));

    private static void Serialize<TPayload>(TPayload payload, SerializationContext context)
        where TPayload : IRpcPayload
    {
        context.SetPayloadLength(payload.Length);
        payload.WriteTo(context.GetBufferWriter());
        context.Complete();
    }
}

/// <summary>A protobuf marshaller over the contextual (buffer) APIs of Google.Protobuf.</summary>
public static class ProtobufMarshaller
{
    /// <summary>Creates the marshaller of <typeparamref name="T"/>.</summary>
    public static Marshaller<T> Create<T>(MessageParser<T> parser)
        where T : IMessage<T> =>
        new(Serialize, context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    /// <summary>The marshaller of requests a client only sends (it never parses them back).</summary>
    public static Marshaller<T> SerializeOnly<T>()
        where T : IMessage<T> =>
        new(Serialize, static _ => throw new NotSupportedException("A client never reads its own requests."));

    private static void Serialize<T>(T message, SerializationContext context)
        where T : IMessage<T>
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }
}
