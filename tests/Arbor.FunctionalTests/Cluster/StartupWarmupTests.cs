using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbor.Cli.Cluster;
using Arbor.Root.Hosting;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Cluster;

/// <summary>
/// A fresh <c>arbor root</c> process with its start-up warm-up on: it says it is ready only once
/// the JIT has stopped compiling (its hot paths are at their final tier), and its
/// <c>/admin/stats</c> shows the compilation and cost curves the warm-up ended on. A process of its
/// own, because the JIT's count is the process's: in a test host, other tests' code compiles too.
/// </summary>
public sealed class StartupWarmupTests : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("arbor-warmup-");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _directory.Dispose();
        await Task.CompletedTask;
    }

    [Fact]
    public async Task FreshRootProcess_ReadyOnlyOnceTheJitIsQuiet_AndShowsTheCurvesItEndedOn()
    {
        await using var leaf = await HoldingLeaf.StartAsync();
        var adminPort = LoopbackPort.Next();
        var configPath = _directory.Combine("root.json");
        await File.WriteAllTextAsync(configPath, new JsonObject
        {
            ["schema"] = "arbor.root/v1",
            ["feature_store"] = new JsonObject { ["kind"] = "sqlite", ["path"] = "features.db" },
            // Long enough that only a quiet JIT ends it on a loaded machine.
            ["warmup"] = new JsonObject { ["enabled"] = true, ["max_seconds"] = 600 },
            ["partitions"] = new JsonObject { ["p"] = new JsonObject { ["endpoints"] = new JsonArray(leaf.Address) } },
            ["models"] = new JsonObject { ["m"] = new JsonObject { ["partition"] = "p" } },
            ["surfaces"] = new JsonObject { ["home"] = new JsonObject { ["models"] = new JsonArray("m") } },
        }.ToJsonString(), Ct);
        await using var root = ManagedProcess.Start(
            "root",
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "arbor.dll"), "root", "--config", configPath, "--grpc", $"127.0.0.1:{LoopbackPort.Next()}", "--http", $"127.0.0.1:{LoopbackPort.Next()}", "--admin", $"127.0.0.1:{adminPort}"]);

        await root.WaitUntilReadyAsync(_http, new Uri($"http://127.0.0.1:{adminPort}/readyz"), TimeSpan.FromMinutes(11), Ct);
        using var stats = JsonDocument.Parse(await _http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/admin/stats"), Ct));

        var warmup = stats.RootElement.GetProperty("warmup");
        Assert.Equal("done", warmup.GetProperty("state").GetString());
        Assert.StartsWith("JIT quiet after", warmup.GetProperty("outcome").GetString(), StringComparison.Ordinal);
        Assert.Equal(WarmupResult.GrpcPath, warmup.GetProperty("path").GetString());
        Assert.Equal(0, warmup.GetProperty("failed").GetInt32());
        Assert.True(leaf.Received >= warmup.GetProperty("requests").GetInt32(), "every warm-up request reached the leaf");
        var compiled = warmup.GetProperty("jit_compiled_methods").EnumerateArray().Select(m => m.GetInt64()).ToArray();
        var cost = warmup.GetProperty("cpu_us_per_candidate").EnumerateArray().Select(c => c.GetDouble()).ToArray();
        Assert.Equal(cost.Length, compiled.Length);
        Assert.True(compiled.Length > RootWarmup.QuietWindows, $"{compiled.Length} windows");
        // The first window compiles the scoring path; the warm-up ended on the first run of quiet windows.
        Assert.True(compiled[0] > RootWarmup.QuietMethods, $"first window compiled {compiled[0]} methods");
        Assert.True(RootWarmup.IsJitQuiet(compiled));
        Assert.False(RootWarmup.IsJitQuiet(compiled[..^1]));
    }
}
