using Arbor.Rpc.Security;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Arbor.Rpc.Server;

/// <summary>
/// Keeps each listener to its own endpoints: a connection is tagged with the listener it came in
/// on, and after routing a request whose endpoint belongs to another listener is answered as if
/// the route did not exist (a gRPC call UNIMPLEMENTED, anything else 404). The gRPC listener serves gRPC methods only; the HTTP and admin
/// listeners serve the endpoints marked with <see cref="ListenerScope"/> for them. The admin
/// listener may require a bearer token (all but its anonymous endpoints).
/// </summary>
/// <remarks>
/// The check uses the connection, not the Host header (which the client chooses). Requests on a
/// listener that was not tagged (an in-memory test server) are not restricted.
/// </remarks>
public static class ListenerIsolation
{
    /// <summary>Tags every connection of this listen endpoint with <paramref name="kind"/>.</summary>
    public static ListenOptions ServeOnly(this ListenOptions listen, ListenerKind kind)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var feature = new ListenerFeature(kind);
        listen.Use(next => connection =>
        {
            connection.Features.Set(feature);
            return next(connection);
        });
        return listen;
    }

    /// <summary>Serves these endpoints on <paramref name="kind"/>'s listener only.</summary>
    public static TBuilder OnListener<TBuilder>(this TBuilder builder, ListenerKind kind, bool anonymous = false)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint => endpoint.Metadata.Add(new ListenerScope(kind, anonymous)));
        return builder;
    }

    /// <summary>
    /// Adds the check; call it after <c>UseRouting</c>. <paramref name="adminTokens"/>, when given,
    /// gives the tokens in force (read once per request, so a reload takes effect at once; null: none
    /// asked) that guard the admin listener's endpoints that are not anonymous (401 without a
    /// matching <c>authorization: Bearer</c> header).
    /// </summary>
    public static IApplicationBuilder UseListenerIsolation(this IApplicationBuilder app, Func<BearerTokenSet?>? adminTokens = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use(next => context =>
        {
            if (context.Features.Get<ListenerFeature>() is not { } listener)
            {
                return next(context);
            }

            var endpoint = context.GetEndpoint();
            var scope = endpoint?.Metadata.GetMetadata<ListenerScope>();
            var allowed = listener.Kind == ListenerKind.Grpc
                ? endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null && scope is null
                : scope?.Kind == listener.Kind;
            if (!allowed)
            {
                // As if the route did not exist: whatever answers an unmatched request answers this one
                // (UNIMPLEMENTED for a gRPC call, 404 for anything else; UnimplementedCallFallback).
                context.SetEndpoint(null);
                return next(context);
            }

            if (listener.Kind == ListenerKind.Admin && !scope!.Anonymous && adminTokens?.Invoke() is { } tokens
                && !tokens.TryAuthenticate(context.Request.Headers.Authorization, out _))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Task.CompletedTask;
            }

            return next(context);
        });
    }
}
