using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Status;
using Arbor.Rpc.Wire;
using Google.Protobuf;

namespace Arbor.Rpc.Client;

/// <summary>
/// A client for one target address (<c>http://host:port</c> for h2c, <c>https://</c> for TLS):
/// unary gRPC calls over a pool of HTTP/2 connections (more open as streams run out). Once the
/// server has answered, requests use a compression only if the server's <c>grpc-accept-encoding</c>
/// lists it (otherwise they go uncompressed). Every
/// failure surfaces as an <see cref="RpcException"/>: server statuses, deadline
/// (DEADLINE_EXCEEDED), caller cancellation (CANCELLED), transport errors (UNAVAILABLE) and
/// protocol errors (INTERNAL). Thread-safe; create one per target and keep it.
/// </summary>
public sealed class RpcChannel : IDisposable
{
    private static readonly string UserAgent = $"arbor-rpc/{typeof(RpcChannel).Assembly.GetName().Version}";

    private readonly HttpMessageInvoker _invoker;
    private readonly RpcChannelOptions _options;
    private readonly ConcurrentDictionary<string, Uri> _methodUris = new(StringComparer.Ordinal);
    private volatile PeerAcceptEncoding? _peerAcceptEncoding;

    /// <summary>Creates a channel to <paramref name="address"/>.</summary>
    public RpcChannel(Uri address, RpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"Address '{address}' must be http:// (h2c) or https:// (TLS).", nameof(address));
        }

        Address = address;
        _options = options ?? new RpcChannelOptions();
        Counters = _options.ByteCounters ?? ByteCounters.Client(address.Authority);
        var counters = Counters;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = _options.ConnectTimeout,
            InitialHttp2StreamWindowSize = 1024 * 1024,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new CountingStream(new NetworkStream(socket, ownsSocket: true), counters.OpenConnection(socket.RemoteEndPoint?.ToString()));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (_options.SslOptions is { } ssl)
        {
            handler.SslOptions = ssl;
        }

        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>Creates a channel to <paramref name="address"/> (e.g. <c>http://127.0.0.1:5001</c>).</summary>
    public RpcChannel(string address, RpcChannelOptions? options = null)
        : this(new Uri(address, UriKind.Absolute), options)
    {
    }

    /// <summary>The target address.</summary>
    public Uri Address { get; }

    /// <summary>The socket byte counters of this channel's connections.</summary>
    public ByteCounters Counters { get; }

    /// <summary>Calls a unary method with a protobuf request.</summary>
    /// <param name="method">The method: <c>package.Service/Method</c> or <c>/package.Service/Method</c>.</param>
    /// <param name="request">The request message.</param>
    /// <param name="parser">The parser of the response message.</param>
    /// <param name="options">Deadline, compression and headers; null for none.</param>
    /// <param name="cancellationToken">Cancels the call (CANCELLED).</param>
    public Task<TResponse> CallAsync<TResponse>(string method, IMessage request, MessageParser<TResponse> parser, RpcCallOptions? options = null, CancellationToken cancellationToken = default)
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        return CallCoreAsync(method, request, null, parser, options ?? RpcCallOptions.Default, cancellationToken);
    }

    /// <summary>
    /// Calls a unary method with a request that writes its own serialized bytes (for requests
    /// assembled from pre-encoded parts; the bytes are sent as written, never re-serialized).
    /// </summary>
    public Task<TResponse> CallAsync<TResponse>(string method, IRpcPayload request, MessageParser<TResponse> parser, RpcCallOptions? options = null, CancellationToken cancellationToken = default)
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        return CallCoreAsync(method, null, request, parser, options ?? RpcCallOptions.Default, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => _invoker.Dispose();

    private async Task<TResponse> CallCoreAsync<TResponse>(string method, IMessage? message, IRpcPayload? payload, MessageParser<TResponse> parser, RpcCallOptions options, CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parser);
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.Unknown;
        CancellationTokenSource? deadlineSource = null;
        CancellationTokenSource? linkedSource = null;
        try
        {
            var codec = ResolveCodec(options.Encoding);
            if (codec is not null && _peerAcceptEncoding is { } accepted && !accepted.Names.Contains(codec.EncodingName))
            {
                codec = null;
            }

            var timeout = options.Deadline is { } deadline ? deadline - _options.TimeProvider.GetUtcNow() : options.Timeout;
            if (timeout <= TimeSpan.Zero)
            {
                throw new RpcException(StatusCode.DeadlineExceeded, "Deadline exceeded before the call started.");
            }

            var length = message?.CalculateSize() ?? payload!.LengthHint;
            if (length > _options.MaxSendMessageSize)
            {
                throw new RpcException(StatusCode.ResourceExhausted, $"Message of {length} bytes exceeds the send limit of {_options.MaxSendMessageSize} bytes.");
            }

            var frame = new PooledBufferWriter(length > 0 ? length + GrpcProtocol.FrameHeaderSize : 4096);
            try
            {
                var threshold = options.CompressionThreshold ?? _options.CompressionThreshold;
                if (message is not null)
                {
                    MessageEncoder.Encode(message, frame, codec, threshold, _options.MaxSendMessageSize);
                }
                else
                {
                    MessageEncoder.Encode(payload!, frame, codec, threshold, _options.MaxSendMessageSize);
                }
            }
            catch
            {
                frame.Dispose();
                throw;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, MethodUri(method))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new GrpcRequestContent(frame),
            };
            var headers = request.Headers;
            headers.TryAddWithoutValidation("TE", "trailers");
            headers.TryAddWithoutValidation("User-Agent", UserAgent);
            headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, _options.Compression.AcceptEncoding);
            if (codec is not null)
            {
                headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, codec.EncodingName);
            }

            var token = cancellationToken;
            if (timeout is { } due)
            {
                headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(due));
                deadlineSource = new CancellationTokenSource(due, _options.TimeProvider);
                linkedSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadlineSource.Token);
                token = linkedSource.Token;
            }

            if (options.Headers is { } extra)
            {
                foreach (var (name, value) in extra)
                {
                    headers.TryAddWithoutValidation(name, value);
                }
            }

            using var response = await _invoker.SendAsync(request, token).ConfigureAwait(false);
            if (response.Headers.NonValidated.TryGetValues(GrpcProtocol.AcceptEncodingHeader, out var acceptEncoding))
            {
                _peerAcceptEncoding = PeerAcceptEncoding.Update(_peerAcceptEncoding, acceptEncoding.ToString());
            }

            var reply = await ReadResponseAsync(response, parser, token).ConfigureAwait(false);
            status = StatusCode.OK;
            return reply;
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
            throw;
        }
        catch (OperationCanceledException e) when (deadlineSource?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
        {
            status = StatusCode.DeadlineExceeded;
            throw new RpcException(status, "Deadline exceeded.", e);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            status = StatusCode.Cancelled;
            throw new RpcException(status, "The call was cancelled.", e);
        }
        catch (HttpProtocolException e)
        {
            status = FromHttp2Error(e.ErrorCode);
            throw new RpcException(status, $"HTTP/2 stream error: {e.Message}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException)
        {
            status = StatusCode.Unavailable;
            throw new RpcException(status, $"Error talking to {Address.Authority}: {e.Message}", e);
        }
        finally
        {
            linkedSource?.Dispose();
            deadlineSource?.Dispose();
            RpcMetrics.RecordClientCall(method, status, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private async Task<TResponse> ReadResponseAsync<TResponse>(HttpResponseMessage response, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            if (TryGetStatus(response.Headers, out var headerCode, out var headerMessage) && headerCode != StatusCode.OK)
            {
                throw new RpcException(headerCode, headerMessage);
            }

            throw new RpcException(HttpStatusMapping.ToStatusCode(response.StatusCode), $"Bad gRPC response: HTTP status {(int)response.StatusCode}.");
        }

        // Trailers-only: the status came in the headers and there is no body.
        if (TryGetStatus(response.Headers, out var code, out var detail))
        {
            throw code == StatusCode.OK
                ? new RpcException(StatusCode.Internal, "The server sent no response message.")
                : new RpcException(code, detail);
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !mediaType.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(StatusCode.Internal, $"Bad gRPC response: content type '{mediaType}'.");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var got = await stream.ReadAtLeastAsync(buffer.AsMemory(0, GrpcProtocol.FrameHeaderSize), GrpcProtocol.FrameHeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                ThrowTrailerStatus(response, allowOk: false);
            }

            if (got < GrpcProtocol.FrameHeaderSize)
            {
                throw new RpcException(StatusCode.Internal, "The response ended inside a message frame header.");
            }

            MessageFrame.ReadHeader(buffer, out var compressed, out var length);
            if (length > _options.MaxReceiveMessageSize)
            {
                throw new RpcException(StatusCode.ResourceExhausted, $"Response message of {length} bytes exceeds the limit of {_options.MaxReceiveMessageSize} bytes.");
            }

            var size = (int)length;
            if (buffer.Length < size + 1)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = [];
                buffer = ArrayPool<byte>.Shared.Rent(size + 1);
            }

            try
            {
                await stream.ReadExactlyAsync(buffer.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
            }
            catch (EndOfStreamException)
            {
                throw new RpcException(StatusCode.Internal, "The response ended inside a message.");
            }

            // Reading to the end of the body makes the trailers available.
            if (await stream.ReadAsync(buffer.AsMemory(size, 1), cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new RpcException(StatusCode.Internal, "A unary response carried more than one message.");
            }

            ThrowTrailerStatus(response, allowOk: true);
            ICompressionCodec? codec = null;
            if (compressed)
            {
                var encoding = response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var values) ? values.FirstOrDefault() : null;
                if (!_options.Compression.TryGet(encoding, out codec))
                {
                    throw new RpcException(StatusCode.Internal, $"The response is compressed with '{encoding ?? "identity"}', which this client does not support.");
                }
            }

            return MessageDecoder.Decode(new ReadOnlySequence<byte>(buffer, 0, size), compressed, codec, _options.MaxReceiveMessageSize, parser);
        }
        finally
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static void ThrowTrailerStatus(HttpResponseMessage response, bool allowOk)
    {
        if (!TryGetStatus(response.TrailingHeaders, out var code, out var detail))
        {
            throw new RpcException(StatusCode.Internal, "The response ended without a grpc-status.");
        }

        if (code != StatusCode.OK)
        {
            throw new RpcException(code, detail);
        }

        if (!allowOk)
        {
            throw new RpcException(StatusCode.Internal, "The server sent no response message.");
        }
    }

    private static bool TryGetStatus(HttpHeaders headers, out StatusCode code, out string message)
    {
        code = StatusCode.Unknown;
        message = string.Empty;
        if (!headers.NonValidated.TryGetValues(GrpcProtocol.StatusHeader, out var statusValues))
        {
            return false;
        }

        var text = statusValues.ToString();
        code = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 16
            ? (StatusCode)value
            : StatusCode.Unknown;
        if (headers.NonValidated.TryGetValues(GrpcProtocol.MessageHeader, out var messageValues))
        {
            message = StatusMessageEncoding.Decode(messageValues.ToString());
        }
        else if (code == StatusCode.Unknown)
        {
            message = $"Invalid grpc-status '{text}'.";
        }

        return true;
    }

    // RFC 9113 error codes, mapped as the gRPC spec says.
    private static StatusCode FromHttp2Error(long error) => error switch
    {
        0x7 => StatusCode.Unavailable, // REFUSED_STREAM
        0x8 => StatusCode.Cancelled, // CANCEL
        0xb => StatusCode.ResourceExhausted, // ENHANCE_YOUR_CALM
        0xc => StatusCode.PermissionDenied, // INADEQUATE_SECURITY
        _ => StatusCode.Internal,
    };

    private ICompressionCodec? ResolveCodec(string? encoding)
    {
        if (string.IsNullOrEmpty(encoding) || encoding == GrpcProtocol.IdentityEncoding)
        {
            return null;
        }

        return _options.Compression.TryGet(encoding, out var codec)
            ? codec
            : throw new RpcException(StatusCode.InvalidArgument, $"Encoding '{encoding}' is not available on this client ({_options.Compression.AcceptEncoding}).");
    }

    private Uri MethodUri(string method) =>
        _methodUris.GetOrAdd(method, static (m, address) => new Uri(address, m.StartsWith('/') ? m : "/" + m), Address);
}
