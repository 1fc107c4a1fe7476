using System.Diagnostics;
using Arbor.Root.Diagnostics;
using Arbor.Root.Hosting;
using Arbor.Root.Scoring;
using Arbor.Rpc.Security;
using Arbor.Rpc.Server;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Authentication;

/// <summary>
/// Requires an API key (<see cref="ApiKeys"/>, when the config has an <c>auth</c> section) on the
/// public listeners' calls, before any of their work: the body is not read, nothing is admitted,
/// decoded or fanned out. A call without a key, or with one the set does not hold, is answered
/// UNAUTHENTICATED (a trailers-only gRPC response; HTTP 401 for JSON) and counted in
/// <c>arbor.root.auth.rejected{reason}</c> (a Score call also in <c>arbor.root.requests</c>). An
/// accepted call carries its <see cref="ApiClient"/> as a feature and as the log scope of
/// everything it logs.
/// The start-up warm-up's calls are the one exception (<see cref="WarmupGate"/>): a gRPC
/// <c>Score</c> call on the gRPC listener that carries the warm-up's secret while the warm-up runs
/// passes as the warm-up's, whatever the keys, and is scored apart from traffic; a wrong or late
/// secret is ignored, and the call is checked like any other.
/// </summary>
/// <remarks>
/// Endpoints with <see cref="IAllowAnonymous"/> metadata stay open: <c>grpc.health.v1.Health</c>,
/// which load balancers probe without credentials. Server reflection describes the API, so it
/// requires a key like the API does. The admin listener has its own token (<c>admin.token</c>).
/// </remarks>
public static partial class PublicApiAuthentication
{
    /// <summary>Adds the check; call it after <c>UseRouting</c> and <c>UseListenerIsolation</c>.</summary>
    public static IApplicationBuilder UsePublicApiAuthentication(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var keys = app.ApplicationServices.GetRequiredService<ApiKeys>();
        var warmup = app.ApplicationServices.GetRequiredService<WarmupGate>();
        var metrics = app.ApplicationServices.GetRequiredService<RootMetrics>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PublicApiAuthentication).FullName!);
        return app.Use(next => context =>
        {
            if (context.Request.Headers.TryGetValue(WarmupGate.Header, out var secret) && IsWarmupEndpoint(context) && warmup.Accept(secret) is { } scorer)
            {
                context.Features.Set(scorer);
                return next(context);
            }

            if (keys.Current is not { } set || context.GetEndpoint() is not { } endpoint || !RequiresKey(context, endpoint))
            {
                return next(context);
            }

            var started = Stopwatch.GetTimestamp();
            var headers = context.Request.Headers;
            var check = set.Check(headers.Authorization, headers[BearerTokenSet.ApiKeyHeader], out var client);
            if (check == CredentialCheck.Accepted)
            {
                return WithClientAsync(next, context, client, logger);
            }

            var reason = check == CredentialCheck.Missing ? "missing" : "invalid";
            metrics.RecordAuthRejected(reason);
            var status = RootOutcomes.Unauthenticated(check);
            if (endpoint.Metadata.GetMetadata<ScoreEndpointAttribute>() is not null)
            {
                metrics.RecordRequest(status.StatusCode.ToString(), 0, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ApiClient.AnonymousName);
            }

            LogRejected(logger, reason, endpoint.DisplayName);
            return IsGrpc(context, endpoint) ? WriteGrpcStatus(context, status) : RootJsonEndpoints.WriteErrorAsync(context, status);
        });
    }

    /// <summary>Public calls need a key: those on the gRPC and HTTP listeners (on an untagged listener, all but admin endpoints), but for anonymous endpoints.</summary>
    private static bool RequiresKey(HttpContext context, Endpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return false;
        }

        return context.Features.Get<ListenerFeature>()?.Kind is { } listener
            ? listener is ListenerKind.Grpc or ListenerKind.Http
            : endpoint.Metadata.GetMetadata<ListenerScope>()?.Kind is not ListenerKind.Admin;
    }

    /// <summary>The one endpoint the warm-up calls: <c>arbor.v1.Root/Score</c> on the gRPC listener.</summary>
    private static bool IsWarmupEndpoint(HttpContext context) =>
        context.Features.Get<ListenerFeature>()?.Kind == ListenerKind.Grpc
        && context.GetEndpoint() is { } endpoint
        && endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is not null
        && endpoint.Metadata.GetMetadata<ScoreEndpointAttribute>() is not null;

    private static bool IsGrpc(HttpContext context, Endpoint endpoint) =>
        context.Features.Get<ListenerFeature>()?.Kind == ListenerKind.Grpc || endpoint.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;

    private static async Task WithClientAsync(RequestDelegate next, HttpContext context, ApiClient client, ILogger logger)
    {
        context.Features.Set(client);
        using (logger.BeginScope(client))
        {
            await next(context).ConfigureAwait(false);
        }
    }

    /// <summary>A trailers-only gRPC response: the status in the headers, no message.</summary>
    private static Task WriteGrpcStatus(HttpContext context, Status status)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The messages are plain ASCII without '%': nothing to percent-encode.
        response.Headers["grpc-message"] = status.Detail;
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 2401, Level = LogLevel.Debug, Message = "Public API call to {Endpoint} refused: {Reason} API key")]
    private static partial void LogRejected(ILogger logger, string reason, string? endpoint);
}
