using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Marshalling;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Arbor.Rpc.Client;

/// <summary>
/// A grpc-dotnet channel to one target (<c>http://host:port</c> for h2c, <c>https://</c> for TLS)
/// with what Arbor adds around it: socket byte accounting below TLS, keep-alive pings, gzip/lz4/zstd
/// with a per-call choice, a size threshold and a minimum saving, and fallback to identity for a
/// peer that does not accept the chosen encoding. Failures are <see cref="RpcException"/>s with the call's status
/// (CANCELLED when the caller's token fires). Thread-safe; create one per target and keep it.
/// </summary>
public sealed class RpcChannel : IDisposable
{
    private const string CompressionSwitch = "grpc-internal-encoding-request";
    private const string AcceptEncodingHeader = "grpc-accept-encoding";
    private const string EncodingHeader = "grpc-encoding";
    private const string UserAgentHeader = "User-Agent";

    // grpc-<language>/<version>, the form the gRPC protocol asks of a User-Agent.
    private static readonly string UserAgent = "grpc-dotnet/" + GrpcVersion();

    private readonly RpcChannelOptions _options;
    private readonly Metadata?[] _encodingHeaders;
    private readonly CompressionYield[] _yields;
    private volatile PeerAcceptEncoding? _peerAcceptEncoding;
    private volatile bool _peerListWanted;

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
        // Before anything is made: counters of a target are published once made.
        if (_options.Connections is < 1 or > RpcChannelOptions.MaxConnections)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.Connections, $"Connections must be 1 to {RpcChannelOptions.MaxConnections}.");
        }

        Counters = _options.ByteCounters ?? ByteCounters.Client(address.Authority);
        var counters = Counters;
        var connections = new HttpMessageHandler[_options.Connections];
        for (var i = 0; i < connections.Length; i++)
        {
            connections[i] = NewConnection(_options, counters);
        }

        var codecs = _options.Compression.Codecs.Keys.ToArray();
        _yields = [.. codecs.Select(_ => new CompressionYield())];
        var yields = codecs.Zip(_yields).ToDictionary(pair => pair.First, pair => pair.Second, StringComparer.Ordinal);

        // An HttpClient (rather than the handler) keeps grpc-dotnet's load-balancing handler out of the
        // call path: a channel here has one target, replicas are chosen by the caller (ReplicaSet),
        // and the balancer's per-call picker locks cost throughput under concurrency.
        var client = new HttpClient(new CallHandler(connections.Length == 1 ? connections[0] : new ConnectionSpread(connections), this), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpClient = client,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = _options.MaxReceiveMessageSize,
            MaxSendMessageSize = _options.MaxSendMessageSize,
            CompressionProviders = _options.Compression.Providers(_options.MaxReceiveMessageSize, yields),
            ThrowOperationCanceledOnCancellation = false,
            MaxRetryAttempts = 0,
        });
        Invoker = Channel.CreateCallInvoker();
        EncodingNames = codecs;
        _encodingHeaders = [.. codecs.Select(name => new Metadata { { CompressionSwitch, name } })];
    }

    /// <summary>Creates a channel to <paramref name="address"/> (e.g. <c>http://127.0.0.1:5001</c>).</summary>
    public RpcChannel(string address, RpcChannelOptions? options = null)
        : this(new Uri(address, UriKind.Absolute), options)
    {
    }

    /// <summary>The socket handler behind one of the channel's connections (it opens another when the peer's stream limit is reached).</summary>
    private static SocketsHttpHandler NewConnection(RpcChannelOptions options, ByteCounters counters)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.ConnectTimeout,
            InitialHttp2StreamWindowSize = 1024 * 1024,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
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
        if (options.SslOptions is { } ssl)
        {
            handler.SslOptions = ssl;
        }

        return handler;
    }

    /// <summary>The target address.</summary>
    public Uri Address { get; }

    /// <summary>The socket byte counters of this channel's connections.</summary>
    public ByteCounters Counters { get; }

    /// <summary>The grpc-dotnet channel (for generated clients: <c>new Leaf.LeafClient(channel.Invoker)</c>).</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The channel's call invoker.</summary>
    public CallInvoker Invoker { get; }

    private string[] EncodingNames { get; }

    /// <summary>
    /// Makes a unary call. The request is compressed with <see cref="RpcCallOptions.Encoding"/> when
    /// its size reaches the threshold and the server has listed that encoding in the
    /// <c>grpc-accept-encoding</c> of an earlier response (Arbor servers send it on every answer,
    /// grpcio too), so the first call to a server goes uncompressed. A server that rejects the
    /// encoding after all (UNIMPLEMENTED, or INTERNAL, with a <c>grpc-accept-encoding</c> not listing
    /// it: say it was redeployed with fewer codecs) gets the call again uncompressed, and later
    /// calls go uncompressed from the start.
    /// </summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, RpcCallOptions? options = null, CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(request);
        options ??= RpcCallOptions.Default;
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.Unknown;
        try
        {
            var encoding = ChooseEncoding(options, request);
            DateTime? deadline = options.Deadline is { } at ? at.UtcDateTime : options.Timeout is { } timeout ? DateTime.UtcNow + timeout : null;
            try
            {
                var response = await CallAsync(method, request, encoding, deadline, cancellationToken).ConfigureAwait(false);
                status = StatusCode.OK;
                return response;
            }
            catch (RpcException e) when (encoding >= 0 && e.StatusCode is StatusCode.Unimplemented or StatusCode.Internal && PeerRejected(EncodingNames[encoding]))
            {
                var response = await CallAsync(method, request, -1, deadline, cancellationToken).ConfigureAwait(false);
                status = StatusCode.OK;
                return response;
            }
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
            throw;
        }
        finally
        {
            RpcMetrics.RecordClientCall(method.FullName, status, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// Calls a unary method by name (<c>package.Service/Method</c>) with protobuf messages, as
    /// <see cref="UnaryAsync{TRequest, TResponse}"/> does (compression, threshold, fallback).
    /// </summary>
    public Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, RpcCallOptions? options = null, CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(parser);
        return UnaryAsync(MethodCache<TRequest, TResponse>.Get(method, parser), request, options, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => Channel.Dispose();

    private Task<TResponse> CallAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, int encoding, DateTime? deadline, CancellationToken cancellationToken)
        where TRequest : class
        where TResponse : class
    {
        var callOptions = new CallOptions(headers: encoding >= 0 ? _encodingHeaders[encoding] : null, deadline: deadline, cancellationToken: cancellationToken);
        return Invoker.AsyncUnaryCall(method, null, callOptions, request).ResponseAsync;
    }

    private static string GrpcVersion()
    {
        var version = typeof(GrpcChannel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(GrpcChannel).Assembly.GetName().Version?.ToString(3) ?? "0";
        var build = version.IndexOf('+', StringComparison.Ordinal);
        return build < 0 ? version : version[..build];
    }

    /// <summary>The index of the encoding to use, or -1 for identity.</summary>
    private int ChooseEncoding<TRequest>(RpcCallOptions options, TRequest request)
    {
        var encoding = options.Encoding;
        if (string.IsNullOrEmpty(encoding) || encoding == CompressionRegistry.IdentityEncoding)
        {
            return -1;
        }

        var index = Array.IndexOf(EncodingNames, encoding);
        if (index < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Encoding '{encoding}' is not available on this client ({_options.Compression.AcceptEncoding})."));
        }

        // Only an encoding the peer has listed in a grpc-accept-encoding: a peer lacking one may
        // neither decompress nor reject it (grpcio 1.51 parses lz4 bytes as the message and may
        // answer OK to a garbage request). Until a response has said, calls go uncompressed.
        if (_peerAcceptEncoding is not { } accepted || !accepted.Names.Contains(encoding))
        {
            _peerListWanted = true;
            return -1;
        }

        var size = request switch
        {
            IRpcPayload payload => payload.Length,
            IMessage message => message.CalculateSize(),
            _ => int.MaxValue,
        };
        if (size < (options.CompressionThreshold ?? _options.CompressionThreshold))
        {
            return -1;
        }

        var minSaving = options.MinCompressionSaving ?? _options.MinCompressionSaving;
        if (minSaving <= 0)
        {
            return index;
        }

        var decision = _yields[index].Decide(minSaving);
        RpcMetrics.RecordCompressionDecision(encoding, decision);
        return decision == CompressionDecision.Skip ? -1 : index;
    }

    /// <summary>The moving compressed/uncompressed ratio of <paramref name="encoding"/>'s requests on this channel; NaN before the first.</summary>
    public double CompressionRatio(string encoding)
    {
        var index = Array.IndexOf(EncodingNames, encoding);
        return index < 0 ? double.NaN : _yields[index].Ratio;
    }

    // grpc-dotnet leaves grpc-accept-encoding out of the metadata it exposes (RpcException.Trailers,
    // ResponseHeadersAsync), so CallHandler reads it off the HTTP responses instead: a trailers-only
    // rejection carries it in its headers, grpcio sends it on every response.
    private bool PeerRejected(string encoding) =>
        _peerAcceptEncoding is { } accepted && !accepted.Names.Contains(encoding);

    private void ObservePeerAcceptEncoding(string header)
    {
        _peerAcceptEncoding = PeerAcceptEncoding.Update(_peerAcceptEncoding, header);
        _peerListWanted = false;
    }

    // A response is read for the peer's list only when the answer matters: before the first list,
    // for a compressed request (a rejection must be seen to fall back), and after a call asked for an
    // encoding the list lacked (a redeployed server may have gained it). Identity calls to a server
    // whose list is known skip it, and so skip an awaited wrapper per call. A reset racing with
    // another call's request only delays the next read by one call that asks again.
    private bool WantsPeerAcceptEncoding(HttpRequestMessage request) =>
        _peerAcceptEncoding is null || _peerListWanted || request.Headers.NonValidated.Contains(EncodingHeader);

    /// <summary>
    /// Between grpc-dotnet and the socket handler: records the <c>grpc-accept-encoding</c> of a
    /// response before grpc-dotnet drops it, and sends the short <c>User-Agent</c>.
    /// </summary>
    private sealed class CallHandler(HttpMessageHandler inner, RpcChannel channel) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // grpc-dotnet's User-Agent adds the runtime, OS and architecture to its name and version:
            // about 48 bytes that HTTP/2 sends literally on every request.
            var headers = request.Headers;
            headers.Remove(UserAgentHeader);
            headers.TryAddWithoutValidation(UserAgentHeader, UserAgent);
            return channel.WantsPeerAcceptEncoding(request) ? ObserveAsync(request, cancellationToken) : base.SendAsync(request, cancellationToken);
        }

        private async Task<HttpResponseMessage> ObserveAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.Headers.NonValidated.TryGetValues(AcceptEncodingHeader, out var values))
            {
                channel.ObservePeerAcceptEncoding(values.ToString());
            }

            return response;
        }
    }

    /// <summary>Method descriptors by name, built once per request/response type pair.</summary>
    private static class MethodCache<TRequest, TResponse>
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Method<TRequest, TResponse>> Methods = new(StringComparer.Ordinal);

        public static Method<TRequest, TResponse> Get(string method, MessageParser<TResponse> parser) =>
            Methods.GetOrAdd(method, static (name, parser) =>
            {
                var path = name.TrimStart('/');
                var slash = path.IndexOf('/', StringComparison.Ordinal);
                if (slash <= 0 || slash == path.Length - 1)
                {
                    throw new ArgumentException($"Method '{name}' is not 'package.Service/Method'.", nameof(method));
                }

                return new Method<TRequest, TResponse>(MethodType.Unary, path[..slash], path[(slash + 1)..], ProtobufMarshaller.SerializeOnly<TRequest>(), ProtobufMarshaller.Create(parser));
            }, parser);
    }
}
