using System.Text.Json;
using Arbor.Testing;
using Arbor.Trimming.Admin;
using Arbor.Trimming.Hosting;
using Arbor.Trimming.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Trimming.Tests.Admin;

public sealed class TrimmerAdminEndpointTests : IDisposable
{
    private readonly TempDirectory _directory = new("arbor-trim-admin-");

    [Fact]
    public async Task Get_ShowsEachBundlesStateHashLoadErrorAndAllowlistSizes()
    {
        var ct = TestContext.Current.CancellationToken;
        var good = _directory.Combine("homefeed.json");
        BundleFiles.Write(good, BundleFiles.Document("homefeed", ("ctr", "2", [("1", ["a"]), ("2", ["a", "b"])])));
        var missing = _directory.Combine("ads.json");
        var port = LoopbackPort.Next();
        await using var app = BuildApp(port, good, missing);
        await app.StartAsync(ct);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var status = JsonDocument.Parse(await client.GetStringAsync(new Uri("/admin/trimmer", UriKind.Relative), ct));
        using var health = JsonDocument.Parse(await client.GetStringAsync(new Uri("/admin/trimmer/health", UriKind.Relative), ct));

        var bundles = status.RootElement.GetProperty("bundles");
        var homefeed = bundles[0];
        Assert.Equal("active", homefeed.GetProperty("state").GetString());
        Assert.Equal(BundleFiles.Sha256(File.ReadAllBytes(good)), homefeed.GetProperty("contentHash").GetString());
        Assert.Equal(JsonValueKind.String, homefeed.GetProperty("lastSuccessfulLoad").ValueKind);
        var versions = homefeed.GetProperty("models")[0].GetProperty("versions");
        Assert.Equal([1, 2], versions.EnumerateArray().Select(v => v.GetProperty("features").GetInt32()));
        var ads = bundles[1];
        Assert.Equal("failed", ads.GetProperty("state").GetString());
        Assert.Contains("does not exist", ads.GetProperty("lastError").GetString());
        Assert.False(health.RootElement.GetProperty("isHealthy").GetBoolean());
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task Start_InvalidOptions_FailsWithEveryProblemNamed()
    {
        var port = LoopbackPort.Next();
        await using var app = BuildApp(port, _directory.Combine("a.json"), "", _directory.Combine("a.json"));

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("BundlePaths[1]", error.Message, StringComparison.Ordinal);
        Assert.Contains("listed twice", error.Message, StringComparison.Ordinal);
    }

    private static WebApplication BuildApp(int port, params string[] bundlePaths)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.AddFeatureTrimmer(options =>
        {
            foreach (var path in bundlePaths)
            {
                options.BundlePaths.Add(path);
            }
        });
        var app = builder.Build();
        app.MapTrimmerAdmin("/admin/trimmer");
        return app;
    }

    public void Dispose() => _directory.Dispose();
}
