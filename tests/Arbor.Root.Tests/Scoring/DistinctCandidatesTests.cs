using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Root.Scoring;
using Arbor.Root.Tests.Cache;
using Arbor.Root.Tests.Diagnostics;
using Grpc.Core;

namespace Arbor.Root.Tests.Scoring;

/// <summary>Repeated candidate ids in one request: scored once and answered per entry, or refused, as <c>limits.duplicate_candidates</c> says.</summary>
public sealed class DistinctCandidatesTests : IDisposable
{
    private static readonly LimitsConfig ScoreOnce = new() { DuplicateCandidates = DistinctCandidates.ScoreOnce };
    private static readonly LimitsConfig Reject = new() { DuplicateCandidates = DistinctCandidates.Reject };

    private readonly TestMeterFactory _meters = new();
    private readonly RootMetrics _metrics;
    private readonly LabelledCounterRecorder _duplicates;

    public DistinctCandidatesTests()
    {
        _metrics = new RootMetrics(_meters);
        _duplicates = new LabelledCounterRecorder(_meters, RootMetrics.MeterName, "arbor.root.duplicate_candidates");
    }

    public void Dispose()
    {
        _duplicates.Dispose();
        _metrics.Dispose();
        _meters.Dispose();
    }

    [Theory]
    [InlineData("reject")]
    [InlineData("score_once")]
    public void DistinctIds_ScoreTheRequestItself(string setting)
    {
        var request = Request("a", "b", "c");

        var query = ScoreQuery.From(request);

        var candidates = DistinctCandidates.Of(query, new LimitsConfig { DuplicateCandidates = setting }, _metrics);

        Assert.Same(query, candidates.Scored);
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 3).Select(candidates.RowOf));
        Assert.Null(candidates.Entries);
        Assert.Empty(_duplicates.All);
    }

    [Fact]
    public void ScoreOnce_ScoresEachIdOnce_AndAnswersEveryEntryWithItsIdsRow()
    {
        var request = Request("a", "b", "a", "c", "b", "a");
        request.Models.Add(new ModelSelector { Name = "m" });
        request.Context["hour"] = new FeatureValue { FloatValue = 3 };

        var candidates = DistinctCandidates.Of(ScoreQuery.From(request), ScoreOnce, _metrics);

        Assert.Equal(["a", "b", "c"], candidates.Scored.Ids);
        Assert.Equal([0, 1, 0, 2, 1, 0], Enumerable.Range(0, 6).Select(candidates.RowOf));
        Assert.Equal([0, 1, 3], candidates.Entries!);
        Assert.Equal((request.Surface, request.UserId, request.RequestId), (candidates.Scored.Surface, candidates.Scored.UserId, candidates.Scored.RequestId));
        Assert.Equal(request.Models, candidates.Scored.Models);
        Assert.Equal(request.Context, candidates.Scored.Context);
        Assert.Equal(new Dictionary<string, long> { ["action=scored_once"] = 3 }, _duplicates.All);
    }

    [Fact]
    public void ScoreOnce_RepeatsWithTheSameFeatures_AreOneCandidate()
    {
        var request = Request("a", "b", "a");
        request.Candidates[0].Features["ctr"] = new FeatureValue { FloatValue = 0.5f };
        request.Candidates[2].Features["ctr"] = new FeatureValue { FloatValue = 0.5f };

        var candidates = DistinctCandidates.Of(ScoreQuery.From(request), ScoreOnce, _metrics);

        Assert.Equal(2, candidates.Scored.Count);
        Assert.Equal(0, candidates.RowOf(2));
    }

    [Fact]
    public void ScoreOnce_RepeatsWithOtherFeatures_AreRefusedNamingTheId()
    {
        var request = Request("a", "b", "a");
        request.Candidates[0].Features["ctr"] = new FeatureValue { FloatValue = 0.5f };
        request.Candidates[2].Features["ctr"] = new FeatureValue { FloatValue = 0.7f };

        var error = Assert.Throws<RpcException>(() => DistinctCandidates.Of(ScoreQuery.From(request), ScoreOnce, _metrics));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("candidates[2] repeats the id 'a' of candidates[0] with other features", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, long> { ["action=rejected"] = 1 }, _duplicates.All);
    }

    [Fact]
    public void Reject_RepeatedId_IsRefusedNamingTheIdAndItsFirstEntry()
    {
        var request = Request("a", "b", "c", "b", "a");

        var error = Assert.Throws<RpcException>(() => DistinctCandidates.Of(ScoreQuery.From(request), Reject, _metrics));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("candidates[3] repeats the id 'b' of candidates[1]", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, long> { ["action=rejected"] = 2 }, _duplicates.All);
    }

    [Fact]
    public void Reject_LongRepeatedId_IsQuotedCut()
    {
        var id = new string('x', 300);

        var error = Assert.Throws<RpcException>(() => DistinctCandidates.Of(ScoreQuery.From(Request(id, id)), Reject, _metrics));

        Assert.Contains("(300 chars)", error.Status.Detail, StringComparison.Ordinal);
        Assert.True(error.Status.Detail.Length < 200, error.Status.Detail);
    }

    [Fact]
    public void Of_OneRequestAfterAnother_DoesNotRememberTheLastRequestsIds()
    {
        DistinctCandidates.Of(ScoreQuery.From(Request("a", "b", "a")), ScoreOnce, _metrics);

        var next = DistinctCandidates.Of(ScoreQuery.From(Request("a", "b")), Reject, _metrics);

        Assert.Equal(["a", "b"], next.Scored.Ids);
    }

    private static ScoreRequest Request(params string[] ids)
    {
        var request = new ScoreRequest { Surface = "home", UserId = "u1", RequestId = "r1" };
        foreach (var id in ids)
        {
            request.Candidates.Add(new Candidate { Id = id });
        }

        return request;
    }
}
