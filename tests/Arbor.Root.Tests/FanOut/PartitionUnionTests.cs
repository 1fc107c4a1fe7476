using Arbor.Contracts.V1;
using Arbor.Root.Diagnostics;
using Arbor.Root.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Arbor.Root.Tests.FanOut;

/// <summary>
/// Models of one partition sharing one ScoreUnion call (<c>fan_out.partition_calls</c>): the same
/// scores and statuses as their per-model calls, each column sent once, the bytes counted once.
/// </summary>
public sealed class PartitionUnionTests
{
    // Overlapping allowlists: c_ctr and c_len are on both, as models of a partition often share features.
    private static readonly Dictionary<string, string[]> Allowlists = new()
    {
        ["m_a"] = ["u_age", "c_ctr", "c_ids", "c_len"],
        ["m_b"] = ["u_emb", "c_len", "ctx_hour", "c_ctr"],
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Score_TwoModelsOfOnePartition_UnionCallScoresAsPerModelCallsWithEachColumnOnce()
    {
        await using var perModel = await StartAsync("per_model");
        await using var union = await StartAsync("union");

        var expected = await perModel.ScoreAsync(RootTestCluster.Request());
        var actual = await union.ScoreAsync(RootTestCluster.Request());

        Assert.Equal(2, perModel.LeafA.Requests.Count);
        Assert.Empty(perModel.LeafA.UnionRequests);
        var call = Assert.Single(union.LeafA.UnionRequests);
        Assert.Equal(["m_a", "m_b"], call.Models.Select(m => m.Model));
        var names = call.Columns.Select(c => c.Name).Concat(call.SharedColumns.Select(c => c.Name)).ToList();
        Assert.Equal(Allowlists.Values.SelectMany(a => a).Distinct().Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.All(call.Models, m => Assert.Equal("1", m.TrimmedFor.Version));
        Assert.Equal(Scores(expected), Scores(actual));
        Assert.All(actual.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.All(actual.Results, r => Assert.True(r.Trimmed));
    }

    [Fact]
    public async Task Score_UnionCall_RequestAndValueBytesAreCountedOnceAcrossItsModels()
    {
        await using var union = await StartAsync("union");
        var meters = union.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var requestBytes = new MetricCollector<long>(meters, RootMetrics.MeterName, "arbor.root.leaf.request_bytes");
        using var valueBytes = new MetricCollector<long>(meters, RootMetrics.MeterName, "arbor.root.leaf.value_bytes");

        await union.ScoreAsync(RootTestCluster.Request());

        var call = Assert.Single(union.LeafA.UnionRequests);
        var byModel = requestBytes.GetMeasurementSnapshot();
        Assert.Equal(["m_a", "m_b"], byModel.Select(m => (string)m.Tags["model"]!).Order(StringComparer.Ordinal));
        Assert.Equal(call.CalculateSize(), byModel.Sum(m => m.Value));
        Assert.All(byModel, m => Assert.True(m.Value > 0));
        // Each column's raw values once, though c_ctr and c_len are on both allowlists.
        Assert.Equal(call.Columns.Concat(call.SharedColumns).Sum(RawValueBytes), valueBytes.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    private static long RawValueBytes(FeatureColumn column) => column.ValuesCase switch
    {
        FeatureColumn.ValuesOneofCase.Floats => 4L * column.Floats.Values.Count,
        FeatureColumn.ValuesOneofCase.Int64S => 8L * column.Int64S.Values.Count,
        FeatureColumn.ValuesOneofCase.FloatVectors => 4L * column.FloatVectors.Values.Count,
        FeatureColumn.ValuesOneofCase.Int64Lists => 8L * column.Int64Lists.Values.Count,
        _ => throw new ArgumentException($"no raw size for {column.ValuesCase}", nameof(column)),
    };

    [Fact]
    public async Task Score_OneModelOfTheUnionCallIsNotServed_ItFailsAloneAndTheOthersScore()
    {
        await using var union = await StartAsync("union", withUnservedModel: true);

        var response = await union.ScoreAsync(RootTestCluster.Request());

        Assert.Equal(["m_a", "m_b", "m_c"], Assert.Single(union.LeafA.UnionRequests).Models.Select(m => m.Model));
        var byModel = response.Results.ToDictionary(r => r.Model, StringComparer.Ordinal);
        Assert.Equal(0, byModel["m_a"].Status.Code);
        Assert.Equal(0, byModel["m_b"].Status.Code);
        Assert.Equal(RootTestCluster.Candidates, byModel["m_b"].Candidates.Count);
        Assert.Equal((int)Grpc.Core.StatusCode.NotFound, byModel["m_c"].Status.Code);
        Assert.Empty(byModel["m_c"].Candidates);
    }

    [Fact]
    public async Task Score_LeafWithoutScoreUnion_ModelsAreCalledOneByOne()
    {
        await using var perModel = await StartAsync("per_model");
        await using var union = await StartAsync("union");
        union.LeafA.WithoutUnion = true;

        var expected = await perModel.ScoreAsync(RootTestCluster.Request());
        var actual = await union.ScoreAsync(RootTestCluster.Request());

        Assert.Empty(union.LeafA.UnionRequests);
        Assert.Equal(2, union.LeafA.Requests.Count);
        Assert.Equal(Scores(expected), Scores(actual));
    }

    [Fact]
    public async Task Score_LeafWithoutScoreUnion_IsAskedOnce_LaterRequestsGoStraightToPerModelCalls()
    {
        await using var union = await StartAsync("union");
        union.LeafA.WithoutUnion = true;
        var meters = union.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var refusals = new MetricCollector<long>(meters, RootMetrics.MeterName, "arbor.root.leaf.union_refusals");

        const int Requests = 6;
        for (var i = 0; i < Requests; i++)
        {
            var response = await union.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        }

        // One refused union call, counted for its partition; every request's two models went as Score calls.
        Assert.Equal(1, union.LeafA.UnionRefusals);
        var refusal = Assert.Single(refusals.GetMeasurementSnapshot());
        Assert.Equal((1L, "pa"), (refusal.Value, (string?)refusal.Tags["partition"]));
        Assert.Equal(2 * Requests, union.LeafA.Requests.Count);
    }

    [Fact]
    public async Task Score_OneOfTwoReplicasWithoutScoreUnion_ItStillTakesItsShareAsPerModelCalls_TheOtherTheUnionCalls()
    {
        // Leaf A (without ScoreUnion, as an older release) and leaf B are both replicas of pa.
        await using var union = await StartAsync("union", leafBIsAReplicaOfPa: true);
        union.LeafA.WithoutUnion = true;

        const int Requests = 40;
        for (var i = 0; i < Requests; i++)
        {
            var response = await union.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        }

        // A refused one union call. The union calls that picked it later went as Score calls, each
        // to the replica it picked, so A kept taking its share of models (not just some of the two
        // of the request it refused); B answered the rest, union calls among them. Every model was
        // scored once per request.
        Assert.Equal(1, union.LeafA.UnionRefusals);
        Assert.True(union.LeafA.Requests.Count > 2, $"A scored {union.LeafA.Requests.Count} models");
        Assert.NotEmpty(union.LeafB.UnionRequests);
        Assert.Equal(2 * Requests, union.LeafA.Requests.Count + union.LeafB.Requests.Count);
    }

    [Fact]
    public async Task Score_Auto_SendsTheUnionCallWhenItIsSmaller()
    {
        await using var auto = await StartAsync("auto");

        await auto.ScoreAsync(RootTestCluster.Request());

        Assert.Single(auto.LeafA.UnionRequests);
    }

    [Fact]
    public async Task Score_UnionCallsReplicaRefusesConnections_TheCallGoesToAnotherReplicaCountedAsRetriesOfEachModel()
    {
        var dead = $"http://127.0.0.1:{Arbor.Testing.LoopbackPort.Next()}";
        await using var union = await StartAsync("union", leafAEndpoints: leaf => $"{dead}\", \"{leaf.Address}");
        var metrics = union.Services.GetRequiredService<RootMetrics>();

        const int Requests = 12;
        for (var i = 0; i < Requests; i++)
        {
            var response = await union.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        }

        Assert.Equal(Requests, union.LeafA.UnionRequests.Count);
        // Each union call that went to the dead replica counts one retry per model it carries.
        Assert.True(metrics.LeafRetryCount % 2 == 0 && metrics.LeafRetryCount > 0, $"{metrics.LeafRetryCount} retries");
    }

    [Fact]
    public async Task Score_ModelsOfTheUnionCallUnavailableOnOneReplica_EachGoesToTheOtherReplica()
    {
        await using var union = await StartAsync("union", leafBIsAReplicaOfPa: true);
        union.LeafA.AnswerWith = Grpc.Core.StatusCode.Unavailable;

        for (var i = 0; i < 6; i++)
        {
            var response = await union.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        }

        Assert.NotEmpty(union.LeafB.Requests);
    }

    /// <summary>A cluster whose partition <c>pa</c> serves m_a and m_b (and m_c, which its leaf does not know).</summary>
    /// <param name="partitionCalls">The root's <c>fan_out.partition_calls</c>.</param>
    /// <param name="withUnservedModel">Route m_c to <c>pa</c> too.</param>
    /// <param name="leafAEndpoints">Partition <c>pa</c>'s endpoints from leaf A.</param>
    /// <param name="leafBIsAReplicaOfPa">Leaf B is a second replica of <c>pa</c>.</param>
    private static async Task<RootTestCluster> StartAsync(string partitionCalls, bool withUnservedModel = false, Func<FakeLeaf, string>? leafAEndpoints = null, bool leafBIsAReplicaOfPa = false)
    {
        var cluster = await RootTestCluster.StartAsync(leafAEndpoints: leafAEndpoints, editConfig: config => (leafBIsAReplicaOfPa ? BothReplicasOfPa(config) : config)
            .Replace("\"m_b\": { \"partition\": \"pb\" }", "\"m_b\": { \"partition\": \"pa\" }" + (withUnservedModel ? ", \"m_c\": { \"partition\": \"pa\" }" : ""), StringComparison.Ordinal)
            .Replace("\"models\": [\"m_a\", \"m_b\"]", withUnservedModel ? "\"models\": [\"m_a\", \"m_b\", \"m_c\"]" : "\"models\": [\"m_a\", \"m_b\"]", StringComparison.Ordinal)
            .Replace("\"compression_threshold_bytes\": 0", $"\"compression_threshold_bytes\": 0, \"partition_calls\": \"{partitionCalls}\"", StringComparison.Ordinal));
        cluster.WriteBundle(Allowlists);
        await Arbor.Testing.Eventually.WaitUntilAsync(
            () => cluster.Services.GetRequiredService<Arbor.Trimming.FeatureTrimmer>().Snapshot.Lookup("m_a", null).Allowlist?.Count == 4,
            "the root loads the bundle", TimeSpan.FromSeconds(10), Ct);
        return cluster;
    }

    private static string BothReplicasOfPa(string config) => System.Text.RegularExpressions.Regex.Replace(
        config,
        "\"pa\": \\{ \"endpoints\": \\[\"([^\"]+)\"\\] \\}, \"pb\": \\{ \"endpoints\": \\[\"([^\"]+)\"\\] \\}",
        "\"pa\": { \"endpoints\": [\"$1\", \"$2\"] }, \"pb\": { \"endpoints\": [\"$2\"] }");

    private static List<(string, string, float)> Scores(ScoreResponse response) =>
        [.. response.Results.SelectMany(r => r.Candidates.SelectMany(c => c.Scores.Select(s => (r.Model, c.Id, s))))];
}
