using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace Arbor.Rpc.Server;

/// <summary>What a unary handler knows about its call besides the request message.</summary>
public sealed class RpcCallContext
{
    private string? _peer;

    internal RpcCallContext(HttpContext httpContext, string method, DateTimeOffset? deadline, CancellationToken cancellationToken, string? responseEncoding)
    {
        HttpContext = httpContext;
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        ResponseEncoding = responseEncoding;
    }

    /// <summary>The full method name, <c>/package.Service/Method</c>.</summary>
    public string Method { get; }

    /// <summary>Cancelled when the deadline passes or the client goes away.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The call's deadline, from the client's <c>grpc-timeout</c>; null when none was sent.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>The request headers (custom metadata included).</summary>
    public IHeaderDictionary RequestHeaders => HttpContext.Request.Headers;

    /// <summary>The client's address in gRPC's form: <c>ipv4:127.0.0.1:5000</c> or <c>ipv6:[::1]:5000</c>.</summary>
    public string Peer => _peer ??= FormatPeer(HttpContext.Connection.RemoteIpAddress, HttpContext.Connection.RemotePort);

    /// <summary>
    /// The encoding for the response (when the client accepts it); starts as the server's choice
    /// and may be changed by the handler. Null or <c>identity</c>: uncompressed.
    /// </summary>
    public string? ResponseEncoding { get; set; }

    /// <summary>The underlying HTTP/2 exchange, for anything not covered here.</summary>
    public HttpContext HttpContext { get; }

    private static string FormatPeer(IPAddress? address, int port) => address switch
    {
        null => "unknown",
        { AddressFamily: AddressFamily.InterNetworkV6 } when address.IsIPv4MappedToIPv6 => $"ipv4:{address.MapToIPv4()}:{port}",
        { AddressFamily: AddressFamily.InterNetworkV6 } => $"ipv6:[{address}]:{port}",
        _ => $"ipv4:{address}:{port}",
    };
}
