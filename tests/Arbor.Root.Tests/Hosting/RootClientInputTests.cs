using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Root.Diagnostics;
using Arbor.Root.Tests.Diagnostics;
using Arbor.Signatures.Registry;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// Client values the root cannot use as sent, and repeated candidate ids, through the real gRPC and
/// JSON endpoints: the status each gets, what is counted, and that the next good request scores.
/// </summary>
public sealed class RootClientInputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Score_ValuesThePolicyRejects_AreInvalidArgumentOverGrpcAnd400OverJson_AndTheNextRequestScores()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        using var values = new LabelledCounterRecorder(cluster.Services.GetRequiredService<IMeterFactory>(), RootMetrics.MeterName, "arbor.root.client_values");
        var expected = Scores(await cluster.ScoreAsync(RootTestCluster.Request()));
        (Action<ScoreRequest> Spoil, string Message, string Counted)[] cases =
        [
            (r => r.Candidates[1].Features.Add("c_ctr", new FeatureValue { FloatValue = float.NaN }), "candidate 1: feature 'c_ctr' is not a finite number", "feature=c_ctr,outcome=rejected_non_finite"),
            (r => r.Candidates[1].Features.Add("c_ctr", new FeatureValue { Int64Value = 7 }), "candidate 1: feature 'c_ctr' takes type float, not int64", "feature=c_ctr,outcome=rejected_out_of_type"),
            (r => r.Candidates[3].Features.Add("u_emb", new FeatureValue { FloatVector = new FloatVector { Values = { 1, 2, 3 } } }), "candidate 3: feature 'u_emb' is a float vector of 4 values, not 3", "feature=u_emb,outcome=rejected_out_of_type"),
            (r => r.Candidates[0].Features.Add("c_len", new FeatureValue()), "candidate 0: feature 'c_len' has no value", "feature=c_len,outcome=rejected_no_kind"),
            (r => r.Context["ctx_hour"] = new FeatureValue { FloatValue = float.PositiveInfinity }, "context: feature 'ctx_hour' is not a finite number", "feature=ctx_hour,outcome=rejected_non_finite"),
        ];

        foreach (var (spoil, message, counted) in cases)
        {
            var request = RootTestCluster.Request();
            spoil(request);

            var grpc = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(request));
            var (status, json) = await PostJsonAsync(cluster, request);

            Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);
            Assert.Contains(message, grpc.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("InvalidArgument", json.GetProperty("status").GetString());
            Assert.Contains(message, json.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal(2, values[counted]);
            Assert.Equal(expected, Scores(await cluster.ScoreAsync(RootTestCluster.Request())));
            var (goodStatus, _) = await PostJsonAsync(cluster, RootTestCluster.Request());
            Assert.Equal(HttpStatusCode.OK, goodStatus);
        }
    }

    [Fact]
    public async Task Score_UnderADefaultPolicy_BadValuesTakeTheRegistryDefault_AndUnknownNamesAreDropped()
    {
        await using var cluster = await RootTestCluster.StartAsync(beforeStart: directory =>
        {
            // The same registry, with every bad value replaced rather than refused.
            var path = Path.Combine(directory, "registry.json");
            var registry = FeatureRegistryJson.ReadFile(path) with
            {
                InputPolicy = new InputPolicy(ClientValueAction.Default, ClientValueAction.Default, ClientValueAction.Default),
            };
            File.WriteAllText(path, FeatureRegistryJson.ToJsonString(registry));
        });
        using var values = new LabelledCounterRecorder(cluster.Services.GetRequiredService<IMeterFactory>(), RootMetrics.MeterName, "arbor.root.client_values");
        var request = RootTestCluster.Request();
        request.Candidates[2].Features.Add("c_ctr", new FeatureValue { FloatValue = float.NaN });
        request.Candidates[3].Features.Add("c_retired", new FeatureValue { StringValue = "gone" });

        var grpc = await cluster.ScoreAsync(request);
        var (status, json) = await PostJsonAsync(cluster, request);

        Assert.Equal(HttpStatusCode.OK, status);
        var fromJson = Google.Protobuf.JsonParser.Default.Parse<ScoreResponse>(json.GetRawText());
        Assert.Equal(Scores(grpc), Scores(fromJson));
        var a = grpc.Results.Single(r => r.Model == "m_a");
        // c_ctr has no default_fill: candidate 2 scores without it (its stored 0.2 is replaced too).
        Assert.Equal(30f + 2, a.Candidates[2].Scores[0]);
        Assert.Equal(30f + 0.3f + 3, a.Candidates[3].Scores[0]);
        Assert.Equal(2, values["feature=c_ctr,outcome=defaulted_non_finite"]);
        Assert.Equal(2, values["feature=(unknown),outcome=dropped_unknown"]);
    }

    [Fact]
    public async Task Score_RepeatedCandidateIds_AreScoredOnce_AndEveryEntryIsAnsweredInOrder()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        using var duplicates = new LabelledCounterRecorder(cluster.Services.GetRequiredService<IMeterFactory>(), RootMetrics.MeterName, "arbor.root.duplicate_candidates");
        var request = WithIds("c3", "c1", "c3", "c0", "c1");

        var grpc = await cluster.ScoreAsync(request);
        var (status, json) = await PostJsonAsync(cluster, request);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Scores(grpc), Scores(Google.Protobuf.JsonParser.Default.Parse<ScoreResponse>(json.GetRawText())));
        foreach (var result in grpc.Results)
        {
            Assert.True(result.Status.Code == 0, result.Status.Message);
            Assert.Equal(["c3", "c1", "c3", "c0", "c1"], result.Candidates.Select(c => c.Id));
        }

        var a = grpc.Results.Single(r => r.Model == "m_a").Candidates;
        Assert.Equal([30f + 0.3f + 3, 30f + 0.1f + 1, 30f + 0.3f + 3, 30f, 30f + 0.1f + 1], a.Select(c => c.Scores[0]));
        Assert.All(cluster.LeafA.Requests, r => Assert.Equal(3u, r.RowCount));
        Assert.Equal(2 * 2, duplicates["action=scored_once"]);

        // A bad value names the client's entry, not the row it is scored in.
        var bad = WithIds("c3", "c1", "c3", "c0");
        bad.Candidates[3].Features.Add("c_ctr", new FeatureValue { FloatValue = float.NaN });
        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(bad));
        Assert.Contains("candidate 3: feature 'c_ctr' is not a finite number", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_RepeatedCandidateIds_UnderReject_AreInvalidArgumentNamingTheId_AndTheNextRequestScores()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: config => config.Replace(
            "\"limits\": { \"max_candidates\": 50,", "\"limits\": { \"max_candidates\": 50, \"duplicate_candidates\": \"reject\",", StringComparison.Ordinal));
        using var duplicates = new LabelledCounterRecorder(cluster.Services.GetRequiredService<IMeterFactory>(), RootMetrics.MeterName, "arbor.root.duplicate_candidates");
        var request = WithIds("c0", "c1", "c1");

        var grpc = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(request));
        var (status, json) = await PostJsonAsync(cluster, request);
        var next = await cluster.ScoreAsync(WithIds("c0", "c1"));

        Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);
        Assert.Contains("candidates[2] repeats the id 'c1' of candidates[1]", grpc.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("repeats the id 'c1'", json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, duplicates["action=rejected"]);
        Assert.All(next.Results, r => Assert.Equal(["c0", "c1"], r.Candidates.Select(c => c.Id)));
        Assert.All(cluster.LeafA.Requests, r => Assert.Equal(2u, r.RowCount));
    }

    private static ScoreRequest WithIds(params string[] ids)
    {
        var request = RootTestCluster.Request(candidates: 0);
        foreach (var id in ids)
        {
            request.Candidates.Add(new Candidate { Id = id });
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(RootTestCluster cluster, ScoreRequest request)
    {
        var body = Google.Protobuf.JsonFormatter.Default.Format(request);
        using var answer = await cluster.Http.PostAsync("/v1/score", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        using var document = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(Ct));
        return (answer.StatusCode, document.RootElement.Clone());
    }

    private static List<string> Scores(ScoreResponse response) =>
        [.. response.Results.Select(r => r.Model + ":" + string.Join(";", r.Candidates.Select(c => c.Id + "=" + string.Join(",", c.Scores))))];
}
