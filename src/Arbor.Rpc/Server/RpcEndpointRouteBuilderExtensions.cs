using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Status;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Arbor.Rpc.Server;

/// <summary>Maps gRPC unary methods onto ASP.NET Core endpoints.</summary>
public static class RpcEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the unary method <c>/{service}/{method}</c> (e.g. <c>arbor.v1.Leaf</c>, <c>Score</c>).
    /// The handler's response is serialized straight into the HTTP/2 response pipe. Exceptions
    /// become statuses: <see cref="RpcException"/> keeps its code, cancellation by the deadline
    /// gives DEADLINE_EXCEEDED, anything else INTERNAL with a generic message (logged).
    /// Options come from <see cref="RpcServerOptions"/> in the service provider, read now.
    /// </summary>
    public static IEndpointConventionBuilder MapUnary<TRequest, TResponse>(
        this IEndpointRouteBuilder endpoints,
        string service,
        string method,
        MessageParser<TRequest> parser,
        Func<TRequest, RpcCallContext, ValueTask<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(handler);

        var options = endpoints.ServiceProvider.GetService<IOptions<RpcServerOptions>>()?.Value ?? new RpcServerOptions();
        options.Validate();
        var logger = LoggerFor(endpoints);
        var path = $"/{service}/{method}";
        var unary = new UnaryMethodHandler<TRequest, TResponse>(path, parser, handler, options, logger);
        return endpoints.MapPost(path, unary.HandleAsync).WithDisplayName($"gRPC {path}");
    }

    /// <summary>
    /// Answers every gRPC request that no mapped method matched with UNIMPLEMENTED (and anything
    /// else with 404). Map it once, after the methods.
    /// </summary>
    public static IEndpointConventionBuilder MapRpcFallback(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var logger = LoggerFor(endpoints);
        return endpoints.MapFallback("{**path}", http =>
        {
            if (!ServerProtocol.IsGrpcContentType(http.Request.ContentType) || !HttpMethods.IsPost(http.Request.Method))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            if (!ServerProtocol.TryAccept(http))
            {
                return Task.CompletedTask;
            }

            var path = http.Request.Path.Value ?? string.Empty;
            RpcLog.UnknownMethod(logger, path);
            CallStatusWriter.Write(http.Response, messageWritten: false, StatusCode.Unimplemented, $"Method {path} is not implemented.");
            RpcMetrics.RecordServerCall("unknown", StatusCode.Unimplemented, 0);
            return Task.CompletedTask;
        }).WithDisplayName("gRPC fallback (UNIMPLEMENTED)");
    }

    private static ILogger LoggerFor(IEndpointRouteBuilder endpoints) =>
        endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("Arbor.Rpc.Server") ?? NullLogger.Instance;
}
