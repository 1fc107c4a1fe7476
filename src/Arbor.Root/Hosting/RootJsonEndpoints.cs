using System.Text;
using Arbor.Contracts.V1;
using Arbor.Root.Authentication;
using Arbor.Root.ClientTrimming;
using Arbor.Root.Routing;
using Arbor.Root.Scoring;
using Arbor.Rpc.Server;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Hosting;

/// <summary>
/// <c>POST /v1/score</c>: the Score call as JSON (protobuf's JSON mapping), for people and scripts.
/// Errors answer with the HTTP status matching the gRPC status and <c>{"code", "status", "message"}</c>
/// (plus <c>"correlation_id"</c> for the server's own failures, see <see cref="RootOutcomes"/>).
/// The body is bounded like a gRPC message (<c>limits.max_message_bytes</c>; larger → 413).
/// </summary>
public static class RootJsonEndpoints
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static IEndpointConventionBuilder MapRootJson(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/v1/score", [ScoreEndpoint] async (HttpContext context) =>
        {
            var scorer = context.RequestServices.GetRequiredService<RootScorer>();
            var limits = context.RequestServices.GetRequiredService<RoutingState>().Current.Config.Limits;
            // The gRPC message limit in force (read at start-up, like Kestrel's body limit).
            var maxBytes = context.RequestServices.GetRequiredService<RpcServerOptions>().MaxReceiveMessageSize;
            ScoreRequest request;
            try
            {
                request = await ReadAsync<ScoreRequest>(context, maxBytes);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Error(StatusCode.ResourceExhausted, $"the request body is larger than {maxBytes} bytes", StatusCodes.Status413PayloadTooLarge);
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
            {
                return Error(StatusCode.InvalidArgument, $"malformed JSON request: {ClientEcho.Quote(e.Message, limits.MaxEchoChars * 2)}");
            }

            DateTimeOffset? deadline = null;
            if (context.Request.Headers.TryGetValue("x-arbor-timeout-ms", out var timeout) && int.TryParse(timeout, out var ms) && ms > 0)
            {
                deadline = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().AddMilliseconds(ms);
            }

            try
            {
                var response = await scorer.ScoreAsync(request, deadline, ApiClient.Of(context), context.RequestAborted);
                return Results.Text(Formatter.Format(response), "application/json");
            }
            catch (RpcException e)
            {
                return Error(e.StatusCode, Arbor.Rpc.Server.StatusDetail.Cap(e.Status.Detail), correlationId: RootOutcomes.CorrelationOf(e));
            }
        });

    /// <summary>
    /// <c>POST /v1/client-features</c>: GetClientFeatures as JSON (a <c>ClientFeaturesRequest</c> in,
    /// a <c>ClientFeatureView</c> out), for clients that trim their requests over JSON.
    /// </summary>
    public static IEndpointConventionBuilder MapClientFeaturesJson(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/v1/client-features", async (HttpContext context) =>
        {
            var limits = context.RequestServices.GetRequiredService<RoutingState>().Current.Config.Limits;
            ClientFeaturesRequest request;
            try
            {
                request = await ReadAsync<ClientFeaturesRequest>(context, ClientFeaturesBodyBytes);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Error(StatusCode.ResourceExhausted, $"the request body is larger than {ClientFeaturesBodyBytes} bytes", StatusCodes.Status413PayloadTooLarge);
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
            {
                return Error(StatusCode.InvalidArgument, $"malformed JSON request: {ClientEcho.Quote(e.Message, limits.MaxEchoChars * 2)}");
            }

            try
            {
                var view = context.RequestServices.GetRequiredService<ClientFeatureViewEndpoint>().Get(request);
                return Results.Text(Formatter.Format(view), "application/json");
            }
            catch (RpcException e)
            {
                return Error(e.StatusCode, Arbor.Rpc.Server.StatusDetail.Cap(e.Status.Detail));
            }
        });

    /// <summary>The largest GetClientFeatures JSON body: a surface and a model list.</summary>
    private const int ClientFeaturesBodyBytes = 64 * 1024;

    /// <summary>
    /// Reads the body as the gRPC port would read a message: at most <paramref name="maxBytes"/>
    /// (Kestrel refuses more with 413), kept in memory up to 64 KiB and in a temporary file beyond,
    /// then parsed as a stream of characters. The body is never one string: concurrent large bodies
    /// cost disk, not memory.
    /// </summary>
    private static async Task<T> ReadAsync<T>(HttpContext context, int maxBytes)
        where T : IMessage<T>, new()
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBytes;
        }

        if (context.Request.ContentLength > maxBytes)
        {
            throw new BadHttpRequestException("request body too large", StatusCodes.Status413PayloadTooLarge);
        }

        context.Request.EnableBuffering(BufferThresholdBytes);
        var body = context.Request.Body;
        await body.DrainAsync(context.RequestAborted);
        body.Position = 0;
        // Google.Protobuf reads the TextReader synchronously: from the buffer filled above.
        using var reader = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
        return Parser.Parse<T>(reader);
    }

    private const int BufferThresholdBytes = 64 * 1024;

    /// <summary>Answers <paramref name="status"/> as this endpoint's errors are answered (401 with <c>WWW-Authenticate: Bearer</c> for UNAUTHENTICATED).</summary>
    internal static Task WriteErrorAsync(HttpContext context, Grpc.Core.Status status)
    {
        if (status.StatusCode == StatusCode.Unauthenticated)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        return Error(status.StatusCode, status.Detail).ExecuteAsync(context);
    }

    private static IResult Error(StatusCode code, string message, int? httpStatus = null, string? correlationId = null) =>
        Results.Json(
            correlationId is null
                ? new { code = (int)code, status = code.ToString(), message }
                : (object)new { code = (int)code, status = code.ToString(), message, correlation_id = correlationId },
            statusCode: httpStatus ?? code switch
            {
                StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
                StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
                StatusCode.NotFound => StatusCodes.Status404NotFound,
                StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
                StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
                StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
                StatusCode.FailedPrecondition => StatusCodes.Status412PreconditionFailed,
                _ => StatusCodes.Status500InternalServerError,
            });
}
