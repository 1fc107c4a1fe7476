using System.Net;
using System.Security.Cryptography.X509Certificates;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>A real Kestrel server on a loopback port with the methods a test maps.</summary>
public sealed class RpcTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RpcTestServer(WebApplication app, Uri address, ByteCounters counters)
    {
        _app = app;
        Address = address;
        Counters = counters;
    }

    /// <summary>The base address (http://127.0.0.1:port or https://...).</summary>
    public Uri Address { get; }

    /// <summary>The server's socket byte counters.</summary>
    public ByteCounters Counters { get; }

    /// <summary>host:port.</summary>
    public string Authority => Address.Authority;

    public static async Task<RpcTestServer> StartAsync(
        Action<WebApplication> map,
        Action<RpcServerOptions>? configure = null,
        X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddArborRpc(configure);
        var counters = new ByteCounters("test-server");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenRpc(new IPEndPoint(IPAddress.Loopback, 0), certificate, counters));
        var app = builder.Build();
        map(app);
        app.MapRpcFallback();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new RpcTestServer(app, new Uri(address), counters);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
