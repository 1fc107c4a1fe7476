using System.Net;
using System.Security.Cryptography.X509Certificates;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Server;

/// <summary>Configures Kestrel endpoints for gRPC: HTTP/2 only (cleartext h2c or TLS) with byte accounting.</summary>
public static class RpcKestrelExtensions
{
    /// <summary>
    /// Listens on <paramref name="endpoint"/> for gRPC: HTTP/2 only (over TLS when a certificate
    /// is given, h2c otherwise), counting socket bytes into <paramref name="counters"/> (default:
    /// the published counters named after the endpoint). The counters see the bytes below TLS,
    /// as the network does.
    /// </summary>
    public static void ListenRpc(this KestrelServerOptions kestrel, IPEndPoint endpoint, X509Certificate2? certificate = null, ByteCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(endpoint);
        kestrel.Listen(endpoint, listen =>
        {
            listen.UseRpc(counters ?? ByteCounters.Server(endpoint.ToString()));
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        });
    }

    /// <summary>
    /// Listens on <paramref name="endpoint"/> for gRPC over TLS with reloadable credentials
    /// (<see cref="TlsListenerExtensions.UseTls"/>: mutual TLS when they have a CA bundle), counting
    /// socket bytes below TLS into <paramref name="counters"/> (default: the published counters named
    /// after the endpoint).
    /// </summary>
    public static void ListenRpc(this KestrelServerOptions kestrel, IPEndPoint endpoint, TlsCredentialSource tls, ByteCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(tls);
        kestrel.Listen(endpoint, listen =>
        {
            var accounting = counters ?? ByteCounters.Server(endpoint.ToString());
            listen.UseRpc(accounting).UseTls(tls, accounting.Name, TlsLogger(listen));
        });
    }

    /// <summary>The logger of TLS handshake refusals on a listener.</summary>
    public static ILogger? TlsLogger(ListenOptions listen) =>
        listen?.ApplicationServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(TlsListenerExtensions).FullName!);

    /// <summary>
    /// Makes a listen endpoint speak HTTP/2 only and count its socket bytes. Call it before
    /// <c>UseHttps</c> so that the counting sits below TLS.
    /// </summary>
    public static ListenOptions UseRpc(this ListenOptions listen, ByteCounters counters)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(counters);
        // Http1AndHttp2 on cleartext falls back to HTTP/1.1 and gRPC clients fail: HTTP/2 only.
        listen.Protocols = HttpProtocols.Http2;
        listen.Use(next => async connection =>
        {
            using var counter = counters.OpenConnection(connection.RemoteEndPoint?.ToString());
            var transport = connection.Transport;
            connection.Transport = new CountingDuplexPipe(transport, counter);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                connection.Transport = transport;
            }
        });
        return listen;
    }
}
