using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Core;
using Grpc.Health.V1;

namespace Arbor.FunctionalTests.Cluster;

/// <summary>
/// SIGTERM to real <c>arbor root</c> and <c>arbor leaf</c> processes: readiness turns false at
/// once, the server serves on for the drain delay, a call in flight when the listeners close still
/// finishes, and the process exits 0.
/// </summary>
public sealed class GracefulDrainTests : IAsyncDisposable
{
    private const int DrainDelayMs = 1500;

    private readonly TempDirectory _directory = new("arbor-drain-");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _directory.Dispose();
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Root_Sigterm_UnreadyAtOnce_InFlightCallFinishesAfterTheListenersClose_Exits0()
    {
        await using var leaf = await HoldingLeaf.StartAsync();
        var grpcPort = LoopbackPort.Next();
        var httpPort = LoopbackPort.Next();
        var adminPort = LoopbackPort.Next();
        var configPath = _directory.Combine("root.json");
        await File.WriteAllTextAsync(configPath, new JsonObject
        {
            ["schema"] = "arbor.root/v1",
            ["feature_store"] = new JsonObject { ["kind"] = "sqlite", ["path"] = "features.db" },
            ["limits"] = new JsonObject { ["default_deadline_ms"] = 60000 },
            ["warmup"] = new JsonObject { ["enabled"] = false },
            ["partitions"] = new JsonObject { ["p"] = new JsonObject { ["endpoints"] = new JsonArray(leaf.Address) } },
            ["models"] = new JsonObject { ["m"] = new JsonObject { ["partition"] = "p" } },
            ["surfaces"] = new JsonObject { ["home"] = new JsonObject { ["models"] = new JsonArray("m") } },
        }.ToJsonString(), Ct);
        await using var root = Start("root", "root", "--config", configPath, "--grpc", $"127.0.0.1:{grpcPort}", "--http", $"127.0.0.1:{httpPort}", "--admin", $"127.0.0.1:{adminPort}", "--drain-delay-ms", $"{DrainDelayMs}", "--drain-timeout-ms", "30000");
        var readyz = new Uri($"http://127.0.0.1:{adminPort}/readyz");
        await root.WaitUntilReadyAsync(_http, readyz, TimeSpan.FromMinutes(2), Ct);
        using var channel = new RpcChannel($"http://127.0.0.1:{grpcPort}");

        leaf.Hold();
        var inFlight = Score(channel);
        await Eventually.WaitUntilAsync(() => leaf.Received > 0, "the call reaches the leaf", TimeSpan.FromSeconds(30), Ct);

        var clock = Stopwatch.StartNew();
        var stopping = root.StopAsync(TimeSpan.FromSeconds(60));
        await Eventually.WaitUntilAsync(() => Status(readyz) == HttpStatusCode.ServiceUnavailable, "/readyz turns 503", TimeSpan.FromSeconds(30), Ct);
        var unreadyAfter = clock.Elapsed;
        Assert.False(inFlight.IsCompleted);

        // After the delay the listeners close while the call is still in flight...
        await Eventually.WaitUntilAsync(() => !Accepts(grpcPort), "the gRPC listener closes", TimeSpan.FromSeconds(30), Ct);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(DrainDelayMs), $"listener closed after {clock.ElapsedMilliseconds} ms, before the drain delay");
        Assert.False(inFlight.IsCompleted);
        Assert.False(root.HasExited);

        // ...and it still finishes with its scores; then the process exits 0.
        leaf.Release();
        var response = await inFlight;
        Assert.Equal(0, response.Results[0].Status.Code);
        Assert.Equal(3, response.Results[0].Candidates.Count);
        await stopping;
        Assert.Equal(0, root.ExitCode);
        Assert.True(unreadyAfter < TimeSpan.FromMilliseconds(DrainDelayMs), $"unready only after {unreadyAfter.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Leaf_Sigterm_UnreadyAtOnce_ServesThroughTheDelay_Exits0()
    {
        var repo = SampleModelRepository.Root;
        var grpcPort = LoopbackPort.Next();
        var httpPort = LoopbackPort.Next();
        var configPath = _directory.Combine("leaf.json");
        await File.WriteAllTextAsync(configPath, new JsonObject
        {
            ["partition"] = "homefeed",
            ["repository"] = repo,
            ["models"] = new JsonArray(new JsonObject { ["name"] = "homefeed_ctr" }),
            ["server"] = new JsonObject { ["address"] = "127.0.0.1", ["grpc_port"] = grpcPort, ["http_port"] = httpPort },
        }.ToJsonString(), Ct);
        await using var process = Start("leaf", "leaf", "--config", configPath, "--drain-delay-ms", $"{DrainDelayMs}");
        var readyz = new Uri($"http://127.0.0.1:{httpPort}/readyz");
        await process.WaitUntilReadyAsync(_http, readyz, TimeSpan.FromMinutes(3), Ct);
        using var channel = new RpcChannel($"http://127.0.0.1:{grpcPort}");
        var health = new Health.HealthClient(channel.Invoker);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct)).Status);

        var clock = Stopwatch.StartNew();
        var stopping = process.StopAsync(TimeSpan.FromSeconds(60));
        string? body = null;
        await Eventually.WaitUntilAsync(() => Status(readyz, out body) == HttpStatusCode.ServiceUnavailable, "/readyz turns 503", TimeSpan.FromSeconds(30), Ct);
        Assert.Contains("draining", body, StringComparison.Ordinal);

        // Unready over gRPC too, and still answering calls while the delay lasts.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct)).Status);
        var models = await channel.CallAsync("arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, Ct);
        Assert.Contains(models.Models, m => m.Name == "homefeed_ctr");
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(DrainDelayMs) || !process.HasExited);

        await stopping;
        Assert.Equal(0, process.ExitCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(DrainDelayMs), $"exited after {clock.ElapsedMilliseconds} ms, before the drain delay");
    }

    private static ManagedProcess Start(string name, params string[] arguments) =>
        ManagedProcess.Start(name, "dotnet", [Path.Combine(AppContext.BaseDirectory, "arbor.dll"), .. arguments]);

    private static Task<ScoreResponse> Score(RpcChannel root)
    {
        var request = new ScoreRequest { Surface = "home", UserId = "u1", RequestId = "drain" };
        for (var i = 0; i < 3; i++)
        {
            request.Candidates.Add(new Candidate { Id = $"c{i}" });
        }

        return root.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(60) });
    }

    private HttpStatusCode? Status(Uri url) => Status(url, out _);

    private HttpStatusCode? Status(Uri url, out string? body)
    {
        body = null;
        try
        {
            using var response = _http.GetAsync(url).GetAwaiter().GetResult();
            body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static bool Accepts(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
