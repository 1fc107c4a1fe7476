using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>
/// A real Kestrel server on a loopback port, set up the way Arbor's servers are:
/// <c>ListenRpc</c> (HTTP/2 only, socket byte counting), <c>AddArborGrpc</c>, the
/// <see cref="TestLeafService"/> as arbor.v1.Leaf and the standard services (health, reflection).
/// Readiness is a health check tagged <see cref="RpcServiceCollectionExtensions.ReadinessTag"/>
/// that the test flips through <see cref="Ready"/>; an untagged check that always fails shows
/// that only readiness checks decide the health status. Every log entry is kept in <see cref="Logs"/>.
/// </summary>
public sealed class RpcTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<CapturedRequest> _requests;
    private volatile bool _ready = true;
    private int _disposed;

    private RpcTestServer(WebApplication app, Uri address, ByteCounters counters, TestLeafService leaf, LogCapture logs, ConcurrentQueue<CapturedRequest> requests, ConcurrentDictionary<string, int> clientCertificates)
    {
        ClientCertificates = clientCertificates;
        _app = app;
        Address = address;
        Counters = counters;
        Leaf = leaf;
        Logs = logs;
        _requests = requests;
    }

    /// <summary>The base address (http://127.0.0.1:port or https://...).</summary>
    public Uri Address { get; }

    /// <summary>host:port.</summary>
    public string Authority => Address.Authority;

    /// <summary>The server's socket byte counters.</summary>
    public ByteCounters Counters { get; }

    /// <summary>The arbor.v1.Leaf implementation the server calls.</summary>
    public TestLeafService Leaf { get; }

    /// <summary>Every entry the server logged.</summary>
    public LogCapture Logs { get; }

    /// <summary>The thumbprints of the client certificates requests came with (mutual TLS), with their request counts.</summary>
    public ConcurrentDictionary<string, int> ClientCertificates { get; }

    /// <summary>The state of the readiness health check.</summary>
    public bool Ready
    {
        get => _ready;
        set => _ready = value;
    }

    /// <summary>The server's services (dependency injection).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The requests seen when the server was started with <c>captureRequests</c>, in arrival order.</summary>
    public IReadOnlyList<CapturedRequest> Requests => [.. _requests];

    public static async Task<RpcTestServer> StartAsync(
        Action<RpcServerOptions>? configure = null,
        X509Certificate2? certificate = null,
        bool captureRequests = false,
        TestLeafService? leaf = null,
        int port = 0,
        Arbor.Rpc.Tls.TlsCredentialSource? tls = null,
        string countersName = "test-server")
    {
        leaf ??= new TestLeafService();
        var logs = new LogCapture();
        var requests = new ConcurrentQueue<CapturedRequest>();
        var counters = new ByteCounters(countersName);
        var clientCertificates = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(leaf);
        RpcTestServer? server = null;
        builder.Services.AddArborGrpc(configure)
            .AddCheck("readiness", () => server is { Ready: false } ? HealthCheckResult.Unhealthy("not ready") : HealthCheckResult.Healthy(), tags: [RpcServiceCollectionExtensions.ReadinessTag])
            .AddCheck("not-a-readiness-check", () => HealthCheckResult.Unhealthy("always failing, but not tagged for readiness"));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (tls is null)
            {
                kestrel.ListenRpc(new IPEndPoint(IPAddress.Loopback, port), certificate, counters);
            }
            else
            {
                kestrel.ListenRpc(new IPEndPoint(IPAddress.Loopback, port), tls, counters);
            }
        });
        var app = builder.Build();
        app.Use((context, next) =>
        {
            if (context.Connection.ClientCertificate is { } client)
            {
                clientCertificates.AddOrUpdate(client.Thumbprint, 1, (_, n) => n + 1);
            }

            return next(context);
        });
        if (captureRequests)
        {
            app.Use(async (context, next) =>
            {
                // The whole body (gRPC frames as they arrived) is read here and handed on unchanged.
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                var bytes = body.ToArray();
                requests.Enqueue(new CapturedRequest(context.Request.Path, context.Request.Headers["grpc-encoding"].ToString(), bytes, context.Request.Headers.UserAgent.ToString()));
                context.Request.Body = new MemoryStream(bytes, writable: false);
                await next(context);
            });
        }

        app.MapGrpcService<TestLeafService>();
        app.MapArborGrpcStandardServices();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server = new RpcTestServer(app, new Uri(address), counters, leaf, logs, requests, clientCertificates);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

/// <summary>A request body as the server received it: the gRPC frames, before any decompression.</summary>
/// <param name="Path">The request path (<c>/arbor.v1.Leaf/Score</c>).</param>
/// <param name="Encoding">The request's <c>grpc-encoding</c> header, empty when absent.</param>
/// <param name="Body">The body: 1-byte compressed flag, 4-byte big-endian length, message.</param>
/// <param name="UserAgent">The request's <c>User-Agent</c> header, empty when absent.</param>
public sealed record CapturedRequest(string Path, string Encoding, byte[] Body, string UserAgent)
{
    /// <summary>Whether the (single) message is marked compressed.</summary>
    public bool Compressed => Body[0] == 1;

    /// <summary>The (single) message's bytes as sent.</summary>
    public ReadOnlySpan<byte> Message => Body.AsSpan(5);
}
