using Arbor.Client;
using Arbor.Contracts.V1;
using Arbor.Root.Tests.Hosting;
using Grpc.Core;

namespace Arbor.Root.Tests.ClientTrimming;

/// <summary>
/// The .NET client's client → root trimming against a real root: trimmed requests score exactly as
/// full ones with fewer bytes, and a view that changed under the client costs a resend, never a score.
/// </summary>
public sealed class ArborRootClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TrimmedRequests_ScoreExactlyAsFullOnes_WithFewerBytesOnTheWire()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var arbor = new ArborRootClient(cluster.Channel.Invoker);
        var request = RequestWithClientFeatures();
        var withoutClientValues = RootTestCluster.Request();
        await arbor.ScoreAsync(request, Options());

        var fullSent = await BytesSentAsync(cluster, () => cluster.ScoreAsync(request));
        var full = await cluster.ScoreAsync(request);
        var trimmedSent = await BytesSentAsync(cluster, () => arbor.ScoreAsync(request, Options()));
        var trimmed = await arbor.ScoreAsync(request, Options());
        var stored = await cluster.ScoreAsync(withoutClientValues);

        AssertSameScores(full, trimmed);
        // The client's values reach the models (else the comparison above proves nothing).
        Assert.NotEqual(Scores(stored), Scores(full));
        Assert.True(trimmedSent < fullSent, $"trimmed {trimmedSent} B, full {fullSent} B");
        Assert.Equal(1, arbor.ViewFetches);
        Assert.Equal(RootTestCluster.UnusedFeatures + 3, request.Candidates[0].Features.Count);
    }

    [Fact]
    public async Task AViewChangedUnderTheClient_CostsOneResend_AndTheScoresStayExact()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var arbor = new ArborRootClient(cluster.Channel.Invoker, new ArborRootClientOptions { RefreshInterval = TimeSpan.FromHours(1) });
        var probe = new Contracts.V1.Root.RootClient(cluster.Channel.Invoker);
        var request = RequestWithClientFeatures();
        await arbor.ScoreAsync(request, Options());
        var before = (await probe.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct)).Version;

        cluster.WriteBundle(new Dictionary<string, string[]> { ["m_a"] = [.. RootTestCluster.Uses["m_a"], "c_unused_0"], ["m_b"] = RootTestCluster.Uses["m_b"] });
        await Arbor.Testing.Eventually.WaitUntilAsync(
            () => probe.GetClientFeatures(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct).Version != before,
            "the view to follow the new bundle", TimeSpan.FromSeconds(20), Ct);
        var trimmed = await arbor.ScoreAsync(request, Options());
        var full = await cluster.ScoreAsync(request);

        Assert.Equal(1, arbor.Resent);
        Assert.Equal(2, arbor.ViewFetches);
        AssertSameScores(full, trimmed);
        var lastToLeafA = cluster.LeafA.Requests.Last();
        Assert.Contains("c_unused_0", lastToLeafA.Columns.Select(c => c.Name));
    }

    [Fact]
    public async Task UntrimmedRoot_GetsEveryFeature()
    {
        await using var cluster = await RootTestCluster.StartAsync(trimming: false);
        var arbor = new ArborRootClient(cluster.Channel.Invoker);
        var request = RequestWithClientFeatures();

        var trimmed = await arbor.ScoreAsync(request, Options());
        var full = await cluster.ScoreAsync(request);

        AssertSameScores(full, trimmed);
        Assert.Equal(1, arbor.ViewFetches);
    }

    [Fact]
    public void Filter_CarriesEveryFieldOfScoreRequest()
    {
        // Fails when ScoreRequest gains a field that ClientFeatureFilter.Apply does not carry over.
        string[] carried = ["surface", "models", "user_id", "candidates", "context", "request_id", "client_features_version"];
        Assert.Equal(carried.Order(StringComparer.Ordinal), ScoreRequest.Descriptor.Fields.InFieldNumberOrder().Select(f => f.Name).Order(StringComparer.Ordinal));

        var request = RequestWithClientFeatures();
        request.Models.Add(new ModelSelector { Name = "m_a", Version = "1" });
        var view = new ClientFeatureView { Version = "v1" };
        view.CandidateFeatures.Add("c_ctr");
        view.ContextFeatures.Add("ctx_hour");

        var trimmed = ClientFeatureFilter.Apply(request, new ClientFeatureSelection(view));

        Assert.Equal((request.Surface, request.UserId, request.RequestId, "v1"), (trimmed.Surface, trimmed.UserId, trimmed.RequestId, trimmed.ClientFeaturesVersion));
        Assert.Equal(request.Models, trimmed.Models);
        Assert.Equal(request.Candidates.Select(c => c.Id), trimmed.Candidates.Select(c => c.Id));
        Assert.All(trimmed.Candidates, c => Assert.Equal(["c_ctr"], c.Features.Keys));
        Assert.Equal(["ctx_hour"], trimmed.Context.Keys);
    }

    private CallOptions Options() => new(deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: Ct);

    /// <summary>Every candidate carries the values the models use (c_ctr, c_len, c_ids) and 20 they do not.</summary>
    private static ScoreRequest RequestWithClientFeatures()
    {
        var request = RootTestCluster.Request();
        for (var i = 0; i < request.Candidates.Count; i++)
        {
            var features = request.Candidates[i].Features;
            features.Add("c_ctr", new FeatureValue { FloatValue = 0.25f * (i + 1) });
            features.Add("c_len", new FeatureValue { FloatValue = 7 + i });
            var ids = new Int64List();
            ids.Values.Add([i, i + 1]);
            features.Add("c_ids", new FeatureValue { Int64List = ids });
            for (var u = 0; u < RootTestCluster.UnusedFeatures; u++)
            {
                features.Add($"c_unused_{u}", new FeatureValue { FloatValue = u + i });
            }
        }

        return request;
    }

    private static async Task<long> BytesSentAsync(RootTestCluster cluster, Func<Task> call)
    {
        var before = cluster.Channel.Counters.Snapshot().BytesSent;
        await call();
        return cluster.Channel.Counters.Snapshot().BytesSent - before;
    }

    private static float[] Scores(ScoreResponse response) =>
        [.. response.Results.OrderBy(r => r.Model, StringComparer.Ordinal).SelectMany(r => r.Candidates.SelectMany(c => c.Scores))];

    private static void AssertSameScores(ScoreResponse expected, ScoreResponse actual)
    {
        Assert.All(expected.Results, r => Assert.Equal(0, r.Status.Code));
        Assert.All(actual.Results, r => Assert.Equal(0, r.Status.Code));
        Assert.Equal(Scores(expected), Scores(actual));
    }
}
