using System.Net;
using System.Text;
using Arbor.Root.Hosting;
using Arbor.Root.Store;
using Arbor.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// The root's three listeners: the public gRPC port serves gRPC only, the public HTTP port JSON
/// scoring only, the admin port health and admin (behind its token when one is set); nothing
/// secret is ever shown.
/// </summary>
public sealed class RootListenerTests
{
    private const string ScoreJson = """{"surface": "home", "userId": "u1", "candidates": [{"id": "c1"}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/admin/config")]
    [InlineData("/admin/stats")]
    [InlineData("/admin/trimmer")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task AdminRoutes_OnTheGrpcPortOverH2c_AreNotFound(string path)
    {
        await using var cluster = await RootTestCluster.StartAsync();
        using var h2c = new HttpClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{cluster.GrpcEndpoint}{path}") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var answer = await h2c.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        using var onAdmin = await cluster.Admin.GetAsync(new Uri(path, UriKind.Relative), Ct);
        Assert.NotEqual(HttpStatusCode.NotFound, onAdmin.StatusCode);
    }

    [Fact]
    public async Task UnknownGrpcService_OnTheGrpcPort_IsUnimplemented_AsAGrpcAnswer()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        using var channel = new Arbor.Rpc.Client.RpcChannel($"http://{cluster.GrpcEndpoint}");

        // The root does not serve arbor.v1.Leaf: a gRPC answer (trailers-only), not an HTTP 404 that
        // the client could only describe as a bad response.
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Arbor.Contracts.V1.Leaf.LeafClient(channel.Invoker)
            .ListModelsAsync(new Arbor.Contracts.V1.ListModelsRequest(), cancellationToken: Ct));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Equal("The service or method is not implemented.", error.Status.Detail);
    }

    [Fact]
    public async Task JsonScoring_OnTheGrpcPort_IsNotFound()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        using var h2c = new HttpClient();

        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{cluster.GrpcEndpoint}/v1/score")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(ScoreJson, Encoding.UTF8, "application/json"),
        };
        using var answer = await h2c.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        var response = await cluster.ScoreAsync(RootTestCluster.Request());
        Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
    }

    [Theory]
    [InlineData("/admin/config")]
    [InlineData("/admin/stats")]
    [InlineData("/admin/trimmer")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task AdminRoutes_OnThePublicHttpPort_AreNotFound(string path)
    {
        await using var cluster = await RootTestCluster.StartAsync();

        using var answer = await cluster.Http.GetAsync(new Uri(path, UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }

    [Fact]
    public async Task JsonScoring_OnTheAdminPort_IsNotFound_AndOnTheHttpPortScores()
    {
        await using var cluster = await RootTestCluster.StartAsync();

        using var onAdmin = await cluster.Admin.PostAsync(new Uri("/v1/score", UriKind.Relative), new StringContent(ScoreJson, Encoding.UTF8, "application/json"), Ct);
        using var onHttp = await cluster.Http.PostAsync(new Uri("/v1/score", UriKind.Relative), new StringContent(ScoreJson, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.NotFound, onAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onHttp.StatusCode);
    }

    [Fact]
    public async Task GrpcHealth_StaysOnTheGrpcPort()
    {
        await using var cluster = await RootTestCluster.StartAsync();

        var health = await cluster.Channel.CallAsync(
            "grpc.health.v1.Health/Check", new Grpc.Health.V1.HealthCheckRequest(), Grpc.Health.V1.HealthCheckResponse.Parser, new Arbor.Rpc.Client.RpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, Ct);

        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task AdminToken_GuardsAdminButNotTheProbes()
    {
        const string Token = "admin-token-7f3c";
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAdmin(c, $"{{ \"token\": \"{Token}\" }}"));

        using var missing = await cluster.Admin.GetAsync(new Uri("/admin/stats", UriKind.Relative), Ct);
        using var wrongRequest = new HttpRequestMessage(HttpMethod.Get, "/admin/stats") { Headers = { { "authorization", "Bearer nope" } } };
        using var wrong = await cluster.Admin.SendAsync(wrongRequest, Ct);
        using var rightRequest = new HttpRequestMessage(HttpMethod.Get, "/admin/config") { Headers = { { "authorization", $"Bearer {Token}" } } };
        using var right = await cluster.Admin.SendAsync(rightRequest, Ct);
        using var health = await cluster.Admin.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
        using var ready = await cluster.Admin.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var config = await right.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(Token, config, StringComparison.Ordinal);
        Assert.Contains("(redacted)", config, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task AdminToken_FromAFile_IsRead()
    {
        await using var cluster = await RootTestCluster.StartAsync(
            editConfig: c => WithAdmin(c, "{ \"token\": { \"file\": \"admin-token\" } }"),
            beforeStart: directory => File.WriteAllText(Path.Combine(directory, "admin-token"), "from-file\n"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/stats") { Headers = { { "authorization", "Bearer from-file" } } };
        using var answer = await cluster.Admin.SendAsync(request, Ct);
        using var missing = await cluster.Admin.GetAsync(new Uri("/admin/stats", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
    }

    [Fact]
    public async Task AdminToken_FileRotated_TakesEffect_AndAnUnreadableOneKeepsTheTokenInForce()
    {
        await using var cluster = await RootTestCluster.StartAsync(
            editConfig: c => WithAdmin(c, "{ \"token\": { \"file\": \"secrets/admin-token\" } }"),
            beforeStart: directory =>
            {
                Directory.CreateDirectory(Path.Combine(directory, "secrets"));
                File.WriteAllText(Path.Combine(directory, "secrets", "admin-token"), "first-token\n");
            });
        var tokenFile = Path.Combine(cluster.Directory, "secrets", "admin-token");
        var reloader = cluster.Services.GetRequiredService<RootConfigReloader>();
        Assert.Equal(HttpStatusCode.OK, await StatsAsync(cluster, "first-token"));

        File.Delete(tokenFile);
        await Eventually.WaitUntilAsync(() => reloader.LastError is not null, "the missing token file to be reported", TimeSpan.FromSeconds(20), Ct);
        var reported = reloader.LastError;
        var whileMissing = await StatsAsync(cluster, "first-token");
        File.WriteAllText(tokenFile + ".tmp", "second-token\n");
        File.Move(tokenFile + ".tmp", tokenFile);
        await Eventually.WaitUntilAsync(
            async () => await StatsAsync(cluster, "second-token") == HttpStatusCode.OK, "the rotated token to be accepted", TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(HttpStatusCode.OK, whileMissing);
        Assert.Contains("$.admin.token", reported, StringComparison.Ordinal);
        Assert.DoesNotContain("first-token", reported, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatsAsync(cluster, "first-token"));
        Assert.Null(reloader.LastError);
    }

    [Fact]
    public async Task PostgresConnectionString_FromAFile_IsUsedButNeverShown()
    {
        const string Password = "pg-password-91ab";
        using var postgres = new LocalPostgresServer();
        await using var cluster = await RootTestCluster.StartAsync(postgres: postgres, editConfig: c =>
        {
            var inline = $"\"connection_string\": \"{postgres.ConnectionString}\"";
            Assert.Contains(inline, c, StringComparison.Ordinal);
            return c.Replace(inline, "\"connection_string\": { \"file\": \"secrets/pg\" }", StringComparison.Ordinal);
        }, beforeStart: directory =>
        {
            Directory.CreateDirectory(Path.Combine(directory, "secrets"));
            File.WriteAllText(Path.Combine(directory, "secrets", "pg"), $"{postgres.ConnectionString};Password={Password}\n");
        });

        var response = await cluster.ScoreAsync(RootTestCluster.Request());
        var config = await cluster.Admin.GetStringAsync(new Uri("/admin/config", UriKind.Relative), Ct);
        var stats = await cluster.Admin.GetStringAsync(new Uri("/admin/stats", UriKind.Relative), Ct);

        Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.Contains("\"file\": \"secrets/pg\"", config, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, config, StringComparison.Ordinal);
        Assert.DoesNotContain($"Port={postgres.Port}", config, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, stats, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresConnectionString_FromAnUnsetVariable_FailsTheStartNamingOnlyTheVariable()
    {
        using var postgres = new LocalPostgresServer();
        var variable = "ARBOR_TEST_PG_" + Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAsync<Arbor.Root.Configuration.RootConfigException>(() => RootTestCluster.StartAsync(postgres: postgres, editConfig: c =>
            c.Replace($"\"connection_string\": \"{postgres.ConnectionString}\"", $"\"connection_string\": {{ \"env\": \"{variable}\" }}", StringComparison.Ordinal)));

        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
        Assert.Contains("$.feature_store.connection_string", error.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> StatsAsync(RootTestCluster cluster, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/stats") { Headers = { { "authorization", $"Bearer {token}" } } };
        using var answer = await cluster.Admin.SendAsync(request, Ct);
        return answer.StatusCode;
    }

    private static string WithAdmin(string config, string admin)
    {
        const string Anchor = "\"bundles\": [\"bundle.json\"],";
        Assert.Contains(Anchor, config, StringComparison.Ordinal);
        return config.Replace(Anchor, $"{Anchor} \"admin\": {admin},", StringComparison.Ordinal);
    }
}
