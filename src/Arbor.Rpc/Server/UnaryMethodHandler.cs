using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Status;
using Arbor.Rpc.Wire;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Server;

/// <summary>
/// Serves one unary method over an HTTP/2 exchange: checks the protocol, applies the deadline,
/// reads and decodes the one request frame, runs the handler, writes the response frame straight
/// into the response pipe, and ends the call with its status.
/// </summary>
internal sealed class UnaryMethodHandler<TRequest, TResponse>
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    // Timers longer than this are not worth arming (and CancelAfter caps near 49 days).
    private static readonly TimeSpan LongestEnforcedTimeout = TimeSpan.FromDays(30);

    private readonly string _method;
    private readonly MessageParser<TRequest> _parser;
    private readonly Func<TRequest, RpcCallContext, ValueTask<TResponse>> _handler;
    private readonly RpcServerOptions _options;
    private readonly ILogger _logger;

    public UnaryMethodHandler(string method, MessageParser<TRequest> parser, Func<TRequest, RpcCallContext, ValueTask<TResponse>> handler, RpcServerOptions options, ILogger logger)
    {
        _method = method;
        _parser = parser;
        _handler = handler;
        _options = options;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext http)
    {
        if (!ServerProtocol.TryAccept(http))
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var response = http.Response;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = _options.Compression.AcceptEncoding;

        CancellationTokenSource? deadlineSource = null;
        CancellationTokenSource? linkedSource = null;
        var messageWritten = false;
        StatusCode code;
        string? detail = null;
        try
        {
            var cancellationToken = http.RequestAborted;
            DateTimeOffset? deadline = null;
            if (http.Request.Headers.TryGetValue(GrpcProtocol.TimeoutHeader, out var timeoutValue))
            {
                if (!GrpcTimeout.TryParse(timeoutValue.ToString(), out var timeout))
                {
                    throw new RpcException(StatusCode.InvalidArgument, $"Malformed grpc-timeout header '{timeoutValue}'.");
                }

                deadline = _options.TimeProvider.GetUtcNow() + timeout;
                if (timeout < LongestEnforcedTimeout)
                {
                    deadlineSource = new CancellationTokenSource(timeout, _options.TimeProvider);
                    linkedSource = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, deadlineSource.Token);
                    cancellationToken = linkedSource.Token;
                }
            }

            string? requestEncoding = http.Request.Headers[GrpcProtocol.EncodingHeader];
            ICompressionCodec? requestCodec = null;
            if (!string.IsNullOrEmpty(requestEncoding) && requestEncoding != GrpcProtocol.IdentityEncoding &&
                !_options.Compression.TryGet(requestEncoding, out requestCodec))
            {
                throw new RpcException(StatusCode.Unimplemented, $"Message encoding '{requestEncoding}' is not supported; supported: {_options.Compression.AcceptEncoding}.");
            }

            var request = await ReadRequestAsync(http.Request.BodyReader, requestCodec, cancellationToken).ConfigureAwait(false);
            var context = new RpcCallContext(http, _method, deadline, cancellationToken, _options.ResponseEncoding ?? requestCodec?.EncodingName);
            var reply = await _handler(request, context).ConfigureAwait(false);
            if (deadlineSource?.IsCancellationRequested == true)
            {
                throw new OperationCanceledException(deadlineSource.Token);
            }

            WriteResponse(http, reply, ChooseResponseCodec(http, context.ResponseEncoding));
            messageWritten = true;
            code = StatusCode.OK;
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            detail = e.Message;
        }
        catch (OperationCanceledException) when (deadlineSource?.IsCancellationRequested == true)
        {
            code = StatusCode.DeadlineExceeded;
            detail = "Deadline exceeded.";
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            code = StatusCode.Cancelled;
            detail = "The call was cancelled by the client.";
        }
        catch (Exception e)
        {
            RpcLog.HandlerFailed(_logger, _method, e);
            code = StatusCode.Internal;
            detail = _options.IncludeExceptionDetails ? $"Exception was thrown by handler. {e.GetType().Name}: {e.Message}" : "Exception was thrown by handler.";
        }
        finally
        {
            linkedSource?.Dispose();
            deadlineSource?.Dispose();
        }

        if (code != StatusCode.OK)
        {
            RpcLog.CallFailed(_logger, _method, code, detail ?? string.Empty);
        }

        CallStatusWriter.Write(response, messageWritten, code, detail);
        RpcMetrics.RecordServerCall(_method, code, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    // A unary request is one frame followed by the end of the stream; the size limit is checked as
    // soon as the header arrives, so an oversized body is never buffered.
    private async ValueTask<TRequest> ReadRequestAsync(PipeReader reader, ICompressionCodec? codec, CancellationToken cancellationToken)
    {
        var max = _options.MaxReceiveMessageSize;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var hasHeader = MessageFrame.TryReadHeader(buffer, out var compressed, out var length);
            var frameLength = GrpcProtocol.FrameHeaderSize + (long)length;
            if (hasHeader && length > max)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                throw new RpcException(StatusCode.ResourceExhausted, $"Request message of {length} bytes exceeds the limit of {max} bytes.");
            }

            if (hasHeader && buffer.Length > frameLength)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                throw new RpcException(StatusCode.Internal, "A unary call carried more than one request message.");
            }

            if (result.IsCompleted)
            {
                try
                {
                    if (!hasHeader || buffer.Length < frameLength)
                    {
                        throw new RpcException(StatusCode.Internal, buffer.Length == 0 ? "The call carried no request message." : "The request ended inside a message frame.");
                    }

                    return MessageDecoder.Decode(buffer.Slice(GrpcProtocol.FrameHeaderSize, length), compressed, codec, max, _parser);
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private ICompressionCodec? ChooseResponseCodec(HttpContext http, string? encoding)
    {
        if (string.IsNullOrEmpty(encoding) || encoding == GrpcProtocol.IdentityEncoding || !_options.Compression.TryGet(encoding, out var codec))
        {
            return null;
        }

        var accepted = http.Request.Headers[GrpcProtocol.AcceptEncodingHeader];
        if (accepted.Count == 0)
        {
            // A client that sent this encoding can read it back.
            return http.Request.Headers[GrpcProtocol.EncodingHeader] == encoding ? codec : null;
        }

        foreach (var value in accepted)
        {
            foreach (var range in (value ?? string.Empty).AsSpan().Split(','))
            {
                if (value.AsSpan()[range].Trim().SequenceEqual(encoding))
                {
                    return codec;
                }
            }
        }

        return null;
    }

    private void WriteResponse(HttpContext http, TResponse reply, ICompressionCodec? codec)
    {
        var response = http.Response;
        response.ContentType = GrpcProtocol.ContentType;
        var size = reply.CalculateSize();
        if (size > _options.MaxSendMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Response message of {size} bytes exceeds the limit of {_options.MaxSendMessageSize} bytes.");
        }

        var writer = response.BodyWriter;
        if (codec is null || size < _options.CompressionThreshold)
        {
            // Straight into the response pipe: no intermediate buffer.
            MessageFrame.WriteHeader(writer.GetSpan(GrpcProtocol.FrameHeaderSize), compressed: false, size);
            writer.Advance(GrpcProtocol.FrameHeaderSize);
            reply.WriteTo(writer);
            return;
        }

        response.Headers[GrpcProtocol.EncodingHeader] = codec.EncodingName;
        using var frame = new PooledBufferWriter(size + GrpcProtocol.FrameHeaderSize);
        MessageEncoder.Encode(reply, frame, codec, _options.CompressionThreshold, _options.MaxSendMessageSize);
        writer.Write(frame.WrittenSpan);
    }
}
