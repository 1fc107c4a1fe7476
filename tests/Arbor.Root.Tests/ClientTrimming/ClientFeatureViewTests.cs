using System.Net;
using System.Text;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Root.Tests.Hosting;
using Arbor.Trimming;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using RootClient = Arbor.Contracts.V1.Root.RootClient;

namespace Arbor.Root.Tests.ClientTrimming;

/// <summary>GetClientFeatures (gRPC and JSON): which client-supplied features the routed models use, with a content version.</summary>
public sealed class ClientFeatureViewTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SurfaceView_ListsTheCandidateAndContextFeaturesItsModelsUse()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var client = new RootClient(cluster.Channel.Invoker);

        var view = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct);

        // The cluster's registry names candidate features c_*, context features ctx_*, user features u_*.
        var used = RootTestCluster.Uses.Values.SelectMany(f => f).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.False(view.AllFeatures);
        Assert.Equal(used.Where(f => f.StartsWith("c_", StringComparison.Ordinal)), view.CandidateFeatures);
        Assert.Equal(used.Where(f => f.StartsWith("ctx_", StringComparison.Ordinal)), view.ContextFeatures);
        Assert.Matches("^[0-9a-f]{16}$", view.Version);
    }

    [Fact]
    public async Task KnownCurrentVersion_AnswersUnchangedWithoutTheLists()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var client = new RootClient(cluster.Channel.Invoker);
        var view = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct);

        var again = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home", KnownVersion = view.Version }, cancellationToken: Ct);
        var other = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home", KnownVersion = "0000000000000000" }, cancellationToken: Ct);

        Assert.True(again.Unchanged);
        Assert.Equal(view.Version, again.Version);
        Assert.Empty(again.CandidateFeatures);
        Assert.False(other.Unchanged);
        Assert.Equal(view, other);
    }

    [Fact]
    public async Task ModelListView_CoversOnlyThoseModels()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var client = new RootClient(cluster.Channel.Invoker);
        var request = new ClientFeaturesRequest();
        request.Models.Add(new ModelSelector { Name = "m_a" });

        var view = await client.GetClientFeaturesAsync(request, cancellationToken: Ct);
        var surface = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct);

        Assert.Equal(RootTestCluster.Uses["m_a"].Where(f => f.StartsWith("c_", StringComparison.Ordinal)).Order(StringComparer.Ordinal), view.CandidateFeatures);
        Assert.Empty(view.ContextFeatures);
        Assert.NotEqual(surface.Version, view.Version);
    }

    [Fact]
    public async Task UntrimmedModels_MakeTheViewAllFeatures()
    {
        await using var cluster = await RootTestCluster.StartAsync(trimming: false);
        var client = new RootClient(cluster.Channel.Invoker);

        var view = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct);

        Assert.True(view.AllFeatures);
        Assert.Empty(view.CandidateFeatures);
    }

    [Fact]
    public async Task TrimGap_MakesTheViewAllFeatures_AndRefusesRequestsTrimmedToTheOldView()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var client = new RootClient(cluster.Channel.Invoker);
        var trimmer = cluster.Services.GetRequiredService<FeatureTrimmer>();
        var before = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct);

        // A leaf refuses m_a's allowlist: the features its served version needs are the ones it drops.
        trimmer.ReportGap(trimmer.Lookup("m_a", null), "model 'm_a' version '2' uses features the request was trimmed without");
        var after = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home", KnownVersion = before.Version }, cancellationToken: Ct);
        var trimmed = RootTestCluster.Request();
        trimmed.ClientFeaturesVersion = before.Version;
        var refused = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(trimmed));

        Assert.False(before.AllFeatures);
        Assert.False(after.Unchanged);
        Assert.True(after.AllFeatures);
        Assert.NotEqual(before.Version, after.Version);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal(after.Version, refused.Trailers.GetValue(Arbor.Root.Scoring.RootScorer.ClientFeatureViewTrailer));
    }

    [Fact]
    public async Task UnknownSurfaceOrModel_IsNotFound_AndNoneIsInvalidArgument()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var client = new RootClient(cluster.Channel.Invoker);
        var unknownModel = new ClientFeaturesRequest();
        unknownModel.Models.Add(new ModelSelector { Name = "nope" });

        var surface = await Assert.ThrowsAsync<RpcException>(() => client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "nope" }, cancellationToken: Ct).ResponseAsync);
        var model = await Assert.ThrowsAsync<RpcException>(() => client.GetClientFeaturesAsync(unknownModel, cancellationToken: Ct).ResponseAsync);
        var none = await Assert.ThrowsAsync<RpcException>(() => client.GetClientFeaturesAsync(new ClientFeaturesRequest(), cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, surface.StatusCode);
        Assert.Equal(StatusCode.NotFound, model.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, none.StatusCode);
    }

    [Fact]
    public async Task JsonEndpoint_AnswersTheSameView()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var client = new RootClient(cluster.Channel.Invoker);
        var view = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct);

        using var answer = await cluster.Http.PostAsync(
            new Uri("/v1/client-features", UriKind.Relative), new StringContent("""{"surface": "home"}""", Encoding.UTF8, "application/json"), Ct);
        using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(Ct));
        using var unknown = await cluster.Http.PostAsync(
            new Uri("/v1/client-features", UriKind.Relative), new StringContent("""{"surface": "nope"}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(view.Version, json.RootElement.GetProperty("version").GetString());
        Assert.Equal(view.CandidateFeatures, json.RootElement.GetProperty("candidateFeatures").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ANewAllowlist_ChangesTheVersion_AndARequestTrimmedToTheOldViewIsRefusedNamingTheNewOne()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var client = new RootClient(cluster.Channel.Invoker);
        var before = await client.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct);

        cluster.WriteBundle(new Dictionary<string, string[]> { ["m_a"] = [.. RootTestCluster.Uses["m_a"], "c_unused_0"], ["m_b"] = RootTestCluster.Uses["m_b"] });
        var after = before;
        await Arbor.Testing.Eventually.WaitUntilAsync(
            () => (after = client.GetClientFeatures(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct)).Version != before.Version,
            "the view to follow the new bundle", TimeSpan.FromSeconds(20), Ct);
        var stale = RootTestCluster.Request();
        stale.ClientFeaturesVersion = before.Version;
        var current = RootTestCluster.Request();
        current.ClientFeaturesVersion = after.Version;

        var refused = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(stale));
        var scored = await cluster.ScoreAsync(current);

        Assert.Contains("c_unused_0", after.CandidateFeatures);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal(after.Version, refused.Trailers.GetValue(Arbor.Client.ArborRootClient.ViewVersionTrailer));
        Assert.All(scored.Results, r => Assert.Equal(0, r.Status.Code));
    }
}
