using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Arbor.Rpc.Server;

/// <summary>
/// Answers a gRPC call that no endpoint took (an unknown service or method) with UNIMPLEMENTED,
/// trailers-only, at the end of the pipeline; any other unmatched request gets 404. grpc-dotnet
/// does this with catch-all routes (<c>{service}/{method}</c> and one per service), but those sit
/// beside every method in the route table, and matching each call then captures route values and
/// checks a constraint for them: about 240 bytes allocated per call. With
/// <c>IgnoreUnknownServices</c> set those routes are gone and this answers instead.
/// </summary>
internal sealed class UnimplementedCallFallback : IStartupFilter
{
    internal const string Message = "The service or method is not implemented.";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        next(app);
        app.Run(static context =>
        {
            var request = context.Request;
            var response = context.Response;
            if (!HttpMethods.IsPost(request.Method) || request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
            {
                response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            // No body: Kestrel sends these headers with END_STREAM, a trailers-only gRPC answer.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = "12";
            response.Headers["grpc-message"] = Message;
            return Task.CompletedTask;
        });
    };
}
