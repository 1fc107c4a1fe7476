using System.Net;
using Arbor.Trimming;
using Arbor.Trimming.Admin;
using Arbor.Trimming.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Release.Tests.Fixtures;

/// <summary>
/// The admin side of a root: the real Feature Trimmer watching bundle files, with its real
/// <c>/admin/trimmer</c> endpoint, and an <c>/admin/stats</c> answering <see cref="Stats"/>.
/// </summary>
internal sealed class TrimmerRoot : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TrimmerRoot(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public FeatureTrimmer Trimmer => _app.Services.GetRequiredService<FeatureTrimmer>();

    public Func<object> Stats { get; set; } = () => new { };

    public static async Task<TrimmerRoot> StartAsync(params string[] bundlePaths)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddFeatureTrimmer(options =>
        {
            foreach (var path in bundlePaths)
            {
                options.BundlePaths.Add(path);
            }

            options.DebounceInterval = TimeSpan.FromMilliseconds(50);
            options.MaxDebounceDelay = TimeSpan.FromMilliseconds(500);
            options.RescanInterval = TimeSpan.FromMilliseconds(500);
        });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        TrimmerRoot? root = null;
        app.MapTrimmerAdmin();
        app.MapGet("/admin/stats", () => Results.Json(root!.Stats()));
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        root = new TrimmerRoot(app, new Uri(address));
        return root;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
