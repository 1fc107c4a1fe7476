using System.Diagnostics;
using Arbor.Rpc.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Server;

/// <summary>
/// The one place where the outcome of a server call becomes its gRPC status, on every Arbor server:
/// <list type="bullet">
/// <item>an <see cref="RpcException"/> keeps its code; its message is capped at
/// <see cref="RpcServerOptions.MaxStatusDetailBytes"/> (a client's input echoed into an error must
/// not become a megabyte trailer);</item>
/// <item>cancellation after the deadline → DEADLINE_EXCEEDED, after the client left → CANCELLED,
/// neither logged (a client resetting its streams is routine);</item>
/// <item>any other exception → INTERNAL with a generic message (logged with its stack here, never
/// sent to the client);</item>
/// <item>the response is compressed in the request's encoding (or the configured one) when the client
/// accepts it and the message reaches <see cref="RpcServerOptions.CompressionThreshold"/>;</item>
/// <item>every answer carries the server's <c>grpc-accept-encoding</c>.</item>
/// </list>
/// Every call is counted in <c>arbor.rpc.server.calls</c> by method and status.
/// </summary>
public sealed partial class StatusInterceptor(RpcServerOptions options, ILogger<StatusInterceptor> logger) : Interceptor
{
    private const string EncodingHeader = "grpc-encoding";
    private const string AcceptEncodingHeader = "grpc-accept-encoding";

    // grpc-dotnet's per-call response compression switch (read from the response headers it is given).
    private const string ResponseEncodingSwitch = "grpc-internal-encoding-request";

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.Unknown;
        // Every answer lists the encodings this server reads (grpc-dotnet itself only does so when it
        // rejects one): Arbor's channels compress with an encoding only once the server listed it.
        var http = context.GetHttpContext();
        http.Response.Headers[AcceptEncodingHeader] = options.Compression.AcceptEncoding;
        try
        {
            var response = await continuation(request, context).ConfigureAwait(false);
            await ChooseResponseEncodingAsync(context, http.Request.Headers, response).ConfigureAwait(false);
            status = StatusCode.OK;
            return response;
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
            var detail = StatusDetail.Cap(e.Status.Detail);
            if (ReferenceEquals(detail, e.Status.Detail))
            {
                throw;
            }

            throw new RpcException(new Status(e.StatusCode, detail), e.Trailers);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = context.Deadline <= DateTime.UtcNow ? StatusCode.DeadlineExceeded : StatusCode.Cancelled;
            throw new RpcException(new Status(status, status == StatusCode.DeadlineExceeded ? "Deadline exceeded." : "The call was cancelled."));
        }
        catch (Exception e)
        {
            status = StatusCode.Internal;
            LogHandlerFailed(context.Method, e);
            throw new RpcException(new Status(StatusCode.Internal, "Internal error."));
        }
        finally
        {
            RpcMetrics.RecordServerCall(context.Method, status, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private Task ChooseResponseEncodingAsync<TResponse>(ServerCallContext context, IHeaderDictionary headers, TResponse response)
    {
        var encoding = options.ResponseEncoding ?? headers[EncodingHeader].ToString();
        if (string.IsNullOrEmpty(encoding) || !options.Compression.TryGet(encoding, out _) || !Lists(headers[AcceptEncodingHeader].ToString(), encoding))
        {
            return Task.CompletedTask;
        }

        if (response is IMessage message && message.CalculateSize() < options.CompressionThreshold)
        {
            return Task.CompletedTask;
        }

        return context.WriteResponseHeadersAsync(new Metadata { { ResponseEncodingSwitch, encoding } });
    }

    private static bool Lists(string acceptEncoding, string encoding)
    {
        foreach (var range in acceptEncoding.AsSpan().Split(','))
        {
            if (acceptEncoding.AsSpan()[range].Trim().SequenceEqual(encoding))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Error, Message = "Handler of {Method} failed; the caller gets INTERNAL")]
    private partial void LogHandlerFailed(string method, Exception exception);
}
