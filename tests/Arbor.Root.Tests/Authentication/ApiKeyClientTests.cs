using System.Text.Json;
using Arbor.Client;
using Arbor.Root.Tests.Hosting;
using Arbor.Testing;
using Grpc.Core;
using static Arbor.Root.Tests.Authentication.AuthCluster;

namespace Arbor.Root.Tests.Authentication;

/// <summary>Clients of a root that requires API keys: the .NET client's <c>ApiKey</c> option and a grpcio client's metadata.</summary>
public sealed class ApiKeyClientTests
{
    private static readonly string Keys = $$"""{ "keys": [ { "name": "ranking-web", "token": "{{RankingWebKey}}" } ] }""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ArborRootClient_WithItsApiKeyOption_ScoresAndFetchesViews_AndWithoutIsUnauthenticated()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAuth(c, Keys));
        var request = RootTestCluster.Request();
        request.Candidates[0].Features.Add("c_ctr", new Contracts.V1.FeatureValue { FloatValue = 0.5f });
        var withKey = new ArborRootClient(cluster.Channel.Invoker, new ArborRootClientOptions { ApiKey = RankingWebKey });
        var withoutKey = new ArborRootClient(cluster.Channel.Invoker);

        var scored = await withKey.ScoreAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: Ct));
        var refused = await Assert.ThrowsAsync<RpcException>(() => withoutKey.ScoreAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20), cancellationToken: Ct)));

        Assert.All(scored.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.Equal(1, withKey.ViewFetches);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact(Timeout = 180_000)]
    public async Task GrpcioClient_WithBearerMetadata_Scores_AndWithoutIt_IsUnauthenticated()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithAuth(c, Keys));
        var script = Path.Combine(AppContext.BaseDirectory, "Authentication", "root_auth_check.py");

        var output = await PythonInterop.RunAsync([script, cluster.GrpcEndpoint.ToString(), PythonInterop.MessagesDirectory, RankingWebKey], TimeSpan.FromSeconds(60), Ct);
        using var document = JsonDocument.Parse(output.Trim());
        var result = document.RootElement;

        Assert.Equal("OK", result.GetProperty("with_key").GetString());
        Assert.Equal(["m_a", "m_b"], result.GetProperty("models_scored").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal("UNAUTHENTICATED", result.GetProperty("without_key").GetString());
        Assert.Contains("API key is required", result.GetProperty("without_key_detail").GetString(), StringComparison.Ordinal);
    }
}
