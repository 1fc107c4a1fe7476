using Arbor.Contracts.V1;
using Arbor.Root.Scoring;
using Grpc.Core;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Hosting;

/// <summary>
/// <c>POST /v1/score</c>: the Score call as JSON (protobuf's JSON mapping), for people and scripts.
/// Errors answer with the HTTP status matching the gRPC status and <c>{"code", "status", "message"}</c>.
/// </summary>
public static class RootJsonEndpoints
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static IEndpointConventionBuilder MapRootJson(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/v1/score", async (HttpContext context) =>
        {
            var scorer = context.RequestServices.GetRequiredService<RootScorer>();
            ScoreRequest request;
            try
            {
                using var reader = new StreamReader(context.Request.Body);
                request = Parser.Parse<ScoreRequest>(await reader.ReadToEndAsync(context.RequestAborted));
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
            {
                return Error(StatusCode.InvalidArgument, $"malformed JSON request: {e.Message}");
            }

            DateTimeOffset? deadline = null;
            if (context.Request.Headers.TryGetValue("x-arbor-timeout-ms", out var timeout) && int.TryParse(timeout, out var ms) && ms > 0)
            {
                deadline = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().AddMilliseconds(ms);
            }

            try
            {
                var response = await scorer.ScoreAsync(request, deadline, context.RequestAborted);
                return Results.Text(Formatter.Format(response), "application/json");
            }
            catch (RpcException e)
            {
                return Error(e.StatusCode, Arbor.Rpc.Server.StatusDetail.Cap(e.Status.Detail));
            }
        });

    private static IResult Error(StatusCode code, string message) =>
        Results.Json(new { code = (int)code, status = code.ToString(), message }, statusCode: code switch
        {
            StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
            StatusCode.NotFound => StatusCodes.Status404NotFound,
            StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
            StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
            _ => StatusCodes.Status500InternalServerError,
        });
}
