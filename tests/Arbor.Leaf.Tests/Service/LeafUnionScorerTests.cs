using System.Diagnostics;
using Arbor.Contracts.V1;
using Arbor.Features.Selection;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Models;
using Arbor.Leaf.Service;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Core;

namespace Arbor.Leaf.Tests.Service;

public sealed class LeafUnionScorerTests(TestModelSet models) : IDisposable
{
    private const string ScoreUnion = "/arbor.v1.Leaf/ScoreUnion";

    private readonly TempDirectory _repo = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ScoreUnion_TwoModelsOnTheirOwnSubsets_ScoreBitForBitAsTheirOwnScoreCalls()
    {
        await using var partition = await StartAsync();
        var request = Union(unbatched: true);
        // ctr is sent its columns but "a" (it scores that feature on its default), dense its own two.
        request.Models.Add(new LeafUnionModel { Model = "ctr", Columns = { Index(request, "b"), Index(request, "v"), Index(request, "ids") } });
        request.Models.Add(new LeafUnionModel { Model = "dense", Columns = { Index(request, "x"), Index(request, "y") } });
        var alone = new LeafScoreResponse[2];
        for (var i = 0; i < 2; i++)
        {
            alone[i] = await partition.Scorer.ScoreAsync(LeafUnionScorer.ForModel(request, request.Models[i]), null, Ct);
        }

        var response = await partition.UnionScorer.ScoreAsync(request, null, Ct);

        Assert.Equal(2, response.Results.Count);
        for (var i = 0; i < 2; i++)
        {
            var result = response.Results[i];
            Assert.Null(result.Status);
            Assert.Equal(request.Models[i].Model, result.Response.Model);
            Assert.Equal("1", result.Response.Version);
            Assert.Equal(0u, result.Response.UnusedFeatures);
            Assert.Equal(Bits(alone[i].Scores), Bits(result.Response.Scores));
        }

        Assert.Equal(6, response.Results[0].Response.Scores.Count);
        Assert.Equal(1u, response.Results[0].Response.MissingFeatures);
        Assert.Equal(3, response.Results[1].Response.Scores.Count);
        Assert.Equal(0u, response.Results[1].Response.MissingFeatures);
    }

    [Fact]
    public async Task ScoreUnion_OneModelFailsItsTrimCheckAnotherIsUnknown_TheirStatusesAreTheirsAndTheFirstScores()
    {
        await using var partition = await StartAsync();
        var request = Union();
        request.Models.Add(new LeafUnionModel { Model = "ctr", Columns = { Index(request, "a"), Index(request, "b"), Index(request, "v"), Index(request, "ids") } });
        request.Models.Add(new LeafUnionModel
        {
            Model = "dense",
            Columns = { Index(request, "x") },
            TrimmedFor = new TrimmedFor { Model = "dense", Version = "0", AllowlistSha256 = AllowlistHash.Of(["x"]) },
        });
        request.Models.Add(new LeafUnionModel { Model = "nope" });

        var response = await partition.UnionScorer.ScoreAsync(request, null, Ct);

        Assert.Equal(6, response.Results[0].Response.Scores.Count);
        Assert.Equal(0u, response.Results[0].Response.MissingFeatures);
        Assert.Equal((int)StatusCode.FailedPrecondition, response.Results[1].Status.Code);
        Assert.Contains(": y", response.Results[1].Status.Message, StringComparison.Ordinal);
        Assert.Equal("1", response.Results[1].Version);
        Assert.Null(response.Results[1].Response);
        Assert.Equal((int)StatusCode.NotFound, response.Results[2].Status.Code);
        Assert.Equal("", response.Results[2].Version);
    }

    [Fact]
    public async Task ScoreUnion_OverGrpc_MalformedCallsAreInvalidArgumentAndAModelsFailureIsItsResult()
    {
        await using var server = await LeafServer.StartAsync(Config(), cancellationToken: Ct);
        using var channel = new RpcChannel(server.GrpcAddress);
        var outOfRange = Union();
        outOfRange.Models.Add(new LeafUnionModel { Model = "ctr", Columns = { (uint)outOfRange.Columns.Count } });
        var sharedOutOfRange = Union();
        sharedOutOfRange.Models.Add(new LeafUnionModel { Model = "ctr", SharedColumns = { (uint)sharedOutOfRange.SharedColumns.Count } });
        var duplicate = Union();
        duplicate.Models.Add(new LeafUnionModel { Model = "ctr" });
        duplicate.Models.Add(new LeafUnionModel { Model = "ctr", Version = "1" });
        var unknown = Union();
        unknown.Models.Add(new LeafUnionModel { Model = "nope" });

        foreach (var bad in new[] { outOfRange, sharedOutOfRange, duplicate, Union() })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync(ScoreUnion, bad, LeafUnionScoreResponse.Parser, cancellationToken: Ct));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        }

        var sent = Stopwatch.GetTimestamp();
        var response = await channel.CallAsync(ScoreUnion, unknown, LeafUnionScoreResponse.Parser, cancellationToken: Ct);
        var seen = Stopwatch.GetElapsedTime(sent);
        Assert.Equal((int)StatusCode.NotFound, Assert.Single(response.Results).Status.Code);
        // The whole union call says the leaf's own time, which is part of what the caller saw.
        Assert.InRange(response.LeafTimeUs, 1u, (uint)Math.Ceiling(seen.TotalMicroseconds));
        Assert.DoesNotContain(_repo.Path, response.Results[0].Status.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _repo.Dispose();

    private PartitionConfig Config()
    {
        models.CopyTo(_repo.Path, "ctr", "1");
        models.CopyTo(_repo.Path, "dense", "1");
        return TestPartitions.Config(_repo.Path, new ModelConfig("ctr", VersionPolicy.Latest()), new ModelConfig("dense", VersionPolicy.Latest()));
    }

    private Task<LeafPartition> StartAsync() => TestPartitions.StartAsync(Config());

    /// <summary>The first scoring case's columns and the dense model's x and y as a union call with no models yet.</summary>
    private static LeafUnionScoreRequest Union(bool unbatched = false)
    {
        var single = ScoringCases.All[0].ToRequest("ctr");
        var request = new LeafUnionScoreRequest { RowCount = single.RowCount, RequestId = "r1", Unbatched = unbatched };
        request.Columns.AddRange(single.Columns);
        request.SharedColumns.AddRange(single.SharedColumns);
        request.Columns.Add(new FeatureColumn { Name = "x", Floats = new FloatColumn { Values = { 0.5f, -2f, 7.25f } } });
        request.Columns.Add(new FeatureColumn { Name = "y", Floats = new FloatColumn { Values = { 1f, 3f, -0.75f } } });
        return request;
    }

    private static uint Index(LeafUnionScoreRequest request, string feature)
    {
        for (var i = 0; i < request.Columns.Count; i++)
        {
            if (request.Columns[i].Name == feature)
            {
                return (uint)i;
            }
        }

        throw new ArgumentException($"no column {feature}", nameof(feature));
    }

    private static int[] Bits(IEnumerable<float> scores) => scores.Select(BitConverter.SingleToInt32Bits).ToArray();
}
