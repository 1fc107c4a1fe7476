using System.Net;
using System.Text;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Root.Diagnostics;
using Arbor.Root.Tests.Hosting;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static Arbor.Root.Tests.Authentication.AuthCluster;

namespace Arbor.Root.Tests.Authentication;

/// <summary>
/// API keys on the public API (<c>auth.keys</c>): refused calls get UNAUTHENTICATED (HTTP 401)
/// before any work; accepted ones are scored and attributed to their key's name in metrics and
/// logs; health stays open; keys follow config reloads; a key never shows in an answer or a log.
/// </summary>
public sealed class RootAuthenticationTests
{
    private const string ScoreJson = """{"surface": "home", "userId": "u1", "candidates": [{"id": "c1"}], "context": {"ctx_hour": {"floatValue": 13}}}""";
    private const string ClientFeaturesJson = """{"surface": "home"}""";

    private static readonly string Keys = $$"""{ "keys": [ { "name": "ranking-web", "token": "{{RankingWebKey}}" } ] }""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Grpc_WithoutAKeyOrWithAWrongOne_IsUnauthenticated_BeforeAnyWork()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAuth(c, Keys));
        var factory = cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var rejected = new MetricCollector<long>(factory, RootMetrics.MeterName, "arbor.root.auth.rejected");
        using var requests = new MetricCollector<long>(factory, RootMetrics.MeterName, "arbor.root.requests");

        var missing = await AuthCluster.ScoreAsync(cluster, null);
        var wrong = await AuthCluster.ScoreAsync(cluster, Bearer("not-the-key"));
        var wrongApiKey = await AuthCluster.ScoreAsync(cluster, ApiKey(RankingWebKey + "x"));

        Assert.Equal(StatusCode.Unauthenticated, missing.Code);
        Assert.Contains("API key is required", missing.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, wrong.Code);
        Assert.Equal(StatusCode.Unauthenticated, wrongApiKey.Code);
        Assert.DoesNotContain("not-the-key", wrong.Detail, StringComparison.Ordinal);
        Assert.True(cluster.LeafA.Requests.IsEmpty && cluster.LeafB.Requests.IsEmpty, "a refused call reached a leaf");
        Assert.Equal(["invalid", "invalid", "missing"], rejected.GetMeasurementSnapshot().Select(m => (string)m.Tags["reason"]!).Order());
        Assert.All(requests.GetMeasurementSnapshot(), m =>
        {
            Assert.Equal("Unauthenticated", m.Tags["status"]);
            Assert.Equal("client", m.Tags["class"]);
            Assert.Equal("anonymous", m.Tags["client"]);
        });
        Assert.Equal(3, requests.GetMeasurementSnapshot().Count);
        Assert.Equal(3, cluster.Services.GetRequiredService<RootMetrics>().ClientErrorCount);
    }

    [Fact]
    public async Task Grpc_WithTheKey_AsBearerOrAsXApiKey_Scores_AndIsCountedUnderItsName()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAuth(c, Keys));
        using var requests = new MetricCollector<long>(cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RootMetrics.MeterName, "arbor.root.requests");

        var bearer = await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey));
        var apiKey = await AuthCluster.ScoreAsync(cluster, ApiKey(RankingWebKey));

        Assert.Equal(StatusCode.OK, bearer.Code);
        Assert.Equal(StatusCode.OK, apiKey.Code);
        Assert.All(bearer.Response!.Results.Concat(apiKey.Response!.Results), r => Assert.True(r.Status.Code == 0, r.Status.Message));
        var measured = requests.GetMeasurementSnapshot();
        Assert.Equal(2, measured.Count);
        Assert.All(measured, m =>
        {
            Assert.Equal("ranking-web", m.Tags["client"]);
            Assert.Equal("OK", m.Tags["status"]);
        });
    }

    [Fact]
    public async Task WithoutAnAuthSection_CallsNeedNoKey_AndAreCountedAsAnonymous()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        using var requests = new MetricCollector<long>(cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RootMetrics.MeterName, "arbor.root.requests");

        var call = await AuthCluster.ScoreAsync(cluster, null);

        Assert.Equal(StatusCode.OK, call.Code);
        Assert.Equal("anonymous", Assert.Single(requests.GetMeasurementSnapshot()).Tags["client"]);
    }

    [Fact]
    public async Task Json_ScoreAndClientFeatures_Answer401WithoutTheKey_AndServeItInEitherHeader()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAuth(c, Keys));

        using var missing = await PostAsync(cluster, "/v1/score", ScoreJson, null);
        // The key is checked before the body is read: a body that is not even JSON is refused for the key.
        using var malformed = await PostAsync(cluster, "/v1/score", "{ not json", null);
        using var malformedWithKey = await PostAsync(cluster, "/v1/score", "{ not json", ("x-api-key", RankingWebKey));
        using var wrong = await PostAsync(cluster, "/v1/score", ScoreJson, ("authorization", "Bearer wrong-key-31"));
        using var bearer = await PostAsync(cluster, "/v1/score", ScoreJson, ("authorization", $"Bearer {RankingWebKey}"));
        using var apiKey = await PostAsync(cluster, "/v1/score", ScoreJson, ("x-api-key", RankingWebKey));
        using var viewMissing = await PostAsync(cluster, "/v1/client-features", ClientFeaturesJson, null);
        using var view = await PostAsync(cluster, "/v1/client-features", ClientFeaturesJson, ("x-api-key", RankingWebKey));

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.ToString());
        using var body = JsonDocument.Parse(await missing.Content.ReadAsStringAsync(Ct));
        Assert.Equal((int)StatusCode.Unauthenticated, body.RootElement.GetProperty("code").GetInt32());
        Assert.Equal("Unauthenticated", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformedWithKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.DoesNotContain("wrong-key-31", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, apiKey.StatusCode);
        Assert.Contains("\"candidates\"", await apiKey.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, viewMissing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
    }

    [Fact]
    public async Task Keys_GivenAsADigest_FromAFile_OrFromAnEnvironmentVariable_Authenticate()
    {
        var variable = "ARBOR_TEST_KEY_" + Guid.NewGuid().ToString("N");
        const string EnvKey = "env-key-0b77";
        Environment.SetEnvironmentVariable(variable, EnvKey);
        try
        {
            var auth = $$"""
                { "keys": [
                    { "name": "by-digest", "digest": "{{DigestOf(RankingWebKey)}}" },
                    { "name": "by-file", "token": { "file": "secrets/batch-key" } },
                    { "name": "by-env", "token": { "env": "{{variable}}" } } ] }
                """.ReplaceLineEndings(" ");
            await using var cluster = await RootTestCluster.StartAsync(
                editConfig: c => WithAuth(c, auth),
                beforeStart: directory =>
                {
                    Directory.CreateDirectory(Path.Combine(directory, "secrets"));
                    File.WriteAllText(Path.Combine(directory, "secrets", "batch-key"), BatchKey + "\n");
                });
            using var requests = new MetricCollector<long>(cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RootMetrics.MeterName, "arbor.root.requests");

            var byDigest = await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey));
            var byFile = await AuthCluster.ScoreAsync(cluster, Bearer(BatchKey));
            var byEnv = await AuthCluster.ScoreAsync(cluster, ApiKey(EnvKey));
            var theDigestItself = await AuthCluster.ScoreAsync(cluster, Bearer(DigestOf(RankingWebKey)));
            var config = await cluster.Admin.GetStringAsync(new Uri("/admin/config", UriKind.Relative), Ct);

            Assert.Equal((StatusCode.OK, StatusCode.OK, StatusCode.OK), (byDigest.Code, byFile.Code, byEnv.Code));
            Assert.Equal(StatusCode.Unauthenticated, theDigestItself.Code);
            Assert.Equal(["by-digest", "by-env", "by-file"], requests.GetMeasurementSnapshot().Where(m => (string?)m.Tags["status"] == "OK").Select(m => (string)m.Tags["client"]!).Order());
            Assert.DoesNotContain(BatchKey, config, StringComparison.Ordinal);
            Assert.DoesNotContain(EnvKey, config, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Reload_RevokesAKey_AndAddsAnother_WithoutARestart()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAuth(c, Keys));
        Assert.Equal(StatusCode.OK, (await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey))).Code);
        Assert.Equal(StatusCode.Unauthenticated, (await AuthCluster.ScoreAsync(cluster, Bearer(BatchKey))).Code);

        Rewrite(cluster, $$"""{ "keys": [ { "name": "batch", "digest": "{{DigestOf(BatchKey)}}" } ] }""");
        await Arbor.Testing.Eventually.WaitUntilAsync(
            async () => (await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey))).Code == StatusCode.Unauthenticated,
            "the revoked key to be refused", TimeSpan.FromSeconds(20), Ct);
        var added = await AuthCluster.ScoreAsync(cluster, Bearer(BatchKey));

        Rewrite(cluster, """{ "keys": [] }""");
        await Arbor.Testing.Eventually.WaitUntilAsync(
            async () => (await AuthCluster.ScoreAsync(cluster, Bearer(BatchKey))).Code == StatusCode.Unauthenticated,
            "an empty key list to refuse every call", TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(StatusCode.OK, added.Code);
        Assert.Equal(StatusCode.Unauthenticated, (await AuthCluster.ScoreAsync(cluster, null)).Code);
    }

    [Fact]
    public async Task Reload_WithAKeyFileThatCannotBeRead_IsRejected_AndTheKeysInForceStay()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAuth(c, Keys));
        var reloader = cluster.Services.GetRequiredService<Arbor.Root.Hosting.RootConfigReloader>();

        Rewrite(cluster, """{ "keys": [ { "name": "batch", "token": { "file": "secrets/absent" } } ] }""");
        await Arbor.Testing.Eventually.WaitUntilAsync(() => reloader.LastError is not null, "the change to be rejected", TimeSpan.FromSeconds(20), Ct);

        Assert.Contains("$.auth.keys[0].token", reloader.LastError, StringComparison.Ordinal);
        Assert.Equal(StatusCode.OK, (await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey))).Code);
    }

    [Fact]
    public async Task AKeyFile_RotatedUnderAnUnchangedConfig_TakesEffect_AndAnUnreadableOneKeepsTheKeyInForce()
    {
        await using var cluster = await RootTestCluster.StartAsync(
            editConfig: c => WithAuth(c, """{ "keys": [ { "name": "ranking-web", "token": { "file": "secrets/key" } } ] }"""),
            beforeStart: directory =>
            {
                Directory.CreateDirectory(Path.Combine(directory, "secrets"));
                File.WriteAllText(Path.Combine(directory, "secrets", "key"), RankingWebKey + "\n");
            });
        var keyFile = Path.Combine(cluster.Directory, "secrets", "key");
        var reloader = cluster.Services.GetRequiredService<Arbor.Root.Hosting.RootConfigReloader>();
        Assert.Equal(StatusCode.OK, (await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey))).Code);

        File.Delete(keyFile);
        await Arbor.Testing.Eventually.WaitUntilAsync(() => reloader.LastError is not null, "the missing key file to be reported", TimeSpan.FromSeconds(20), Ct);
        var reported = reloader.LastError;
        var whileMissing = await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey));
        File.WriteAllText(keyFile + ".tmp", BatchKey + "\n");
        File.Move(keyFile + ".tmp", keyFile);
        await Arbor.Testing.Eventually.WaitUntilAsync(
            async () => (await AuthCluster.ScoreAsync(cluster, Bearer(BatchKey))).Code == StatusCode.OK,
            "the rotated key to be accepted", TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(StatusCode.OK, whileMissing.Code);
        Assert.Contains("$.auth.keys[0].token", reported, StringComparison.Ordinal);
        Assert.DoesNotContain(RankingWebKey, reported, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, (await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey))).Code);
        Assert.Null(reloader.LastError);
    }

    [Fact]
    public async Task Health_StaysOpen_ButReflectionRequiresAKey()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAuth(c, Keys));
        using var rejected = new MetricCollector<long>(cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RootMetrics.MeterName, "arbor.root.auth.rejected");
        var invoker = cluster.Channel.Channel.CreateCallInvoker();
        var health = new Method<byte[], byte[]>(MethodType.Unary, "grpc.health.v1.Health", "Check", Bytes, Bytes);
        var reflection = new Method<byte[], byte[]>(MethodType.DuplexStreaming, "grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", Bytes, Bytes);

        // A HealthCheckRequest for the overall service is the empty message.
        var healthAnswer = await invoker.AsyncUnaryCall(health, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), []);
        var anonymous = await ReflectAsync(invoker, reflection, null);
        var withKey = await ReflectAsync(invoker, reflection, Bearer(RankingWebKey));

        Assert.NotNull(healthAnswer);
        // The root refuses the streaming call on its headers with a trailers-only UNAUTHENTICATED and
        // resets the stream the client is still writing; the client sees either that status or, when
        // the reset reaches its write first, CANCELLED. Either way no answer came back, and the root
        // counted the refusal.
        Assert.Contains(anonymous.Code, new[] { StatusCode.Unauthenticated, StatusCode.Cancelled });
        Assert.Empty(anonymous.Text);
        Assert.Equal("missing", (string)Assert.Single(rejected.GetMeasurementSnapshot()).Tags["reason"]!);
        Assert.Equal(StatusCode.OK, withKey.Code);
        Assert.Contains("arbor.v1.Root", withKey.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKey_IsNeverLogged_AndEveryLogLineOfAnAcceptedCallCarriesItsClient()
    {
        var logs = new FakeLogCollector();
        await using var cluster = await RootTestCluster.StartAsync(
            editConfig: c => WithAuth(c, Keys),
            logging: logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
        // A leaf failure makes the scorer log about the call (RootOutcomes logs the leaf's text).
        cluster.LeafA.AnswerWith = StatusCode.Internal;

        var accepted = await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey));
        var refused = await AuthCluster.ScoreAsync(cluster, Bearer("leaked-key-4f1d"));

        Assert.Equal(StatusCode.OK, accepted.Code);
        Assert.Equal(StatusCode.Unauthenticated, refused.Code);
        var records = logs.GetSnapshot();
        var modelFailed = Assert.Single(records, r => r.Id.Id == 2303);
        Assert.Contains(modelFailed.Scopes, s => s is IEnumerable<KeyValuePair<string, object?>> pairs && pairs.Any(p => p.Key == "Client" && (string?)p.Value == "ranking-web"));
        Assert.Contains(records, r => r.Id.Id == 2401);
        Assert.All(records, r =>
        {
            var text = r.Message + string.Join(' ', r.Scopes.Select(s => s?.ToString())) + r.Exception;
            Assert.DoesNotContain(RankingWebKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain("leaked-key-4f1d", text, StringComparison.Ordinal);
        });
    }

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    private static async Task<(StatusCode Code, string Text)> ReflectAsync(CallInvoker invoker, Method<byte[], byte[]> method, Metadata? headers)
    {
        using var call = invoker.AsyncDuplexStreamingCall(method, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(10)));
        try
        {
            // ServerReflectionRequest { list_services: "" } (field 7, an empty string).
            await call.RequestStream.WriteAsync([0x3A, 0x00], Ct);
            await call.RequestStream.CompleteAsync();
        }
        catch (InvalidOperationException)
        {
            // The server refused the call before the request was written ("the call is complete"):
            // reading the response stream below gives its status.
        }
        catch (RpcException e)
        {
            return (e.StatusCode, "");
        }

        try
        {
            var text = new StringBuilder();
            while (await call.ResponseStream.MoveNext(Ct))
            {
                text.Append(Encoding.UTF8.GetString(call.ResponseStream.Current));
            }

            return (StatusCode.OK, text.ToString());
        }
        catch (RpcException e)
        {
            return (e.StatusCode, "");
        }
    }

    private static Task<HttpResponseMessage> PostAsync(RootTestCluster cluster, string path, string json, (string Name, string Value)? header)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (header is { } h)
        {
            request.Headers.TryAddWithoutValidation(h.Name, h.Value);
        }

        return cluster.Http.SendAsync(request, Ct);
    }
}
