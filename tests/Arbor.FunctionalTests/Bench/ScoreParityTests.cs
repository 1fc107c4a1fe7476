using Arbor.Cli.Bench;
using Arbor.Contracts.V1;
using Xunit;

namespace Arbor.FunctionalTests.Bench;

public sealed class ScoreParityTests
{
    [Fact]
    public void FirstDifference_IdenticalResponses_IsNull()
    {
        Assert.Null(ScoreParity.FirstDifference(Response(0.25f, 0.5f), Response(0.25f, 0.5f)));
    }

    [Fact]
    public void FirstDifference_LastBitDiffers_IsReported()
    {
        var nudged = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(0.5f) + 1);

        var difference = ScoreParity.FirstDifference(Response(0.25f, 0.5f), Response(0.25f, nudged));

        Assert.NotNull(difference);
        Assert.Contains("c1", difference, StringComparison.Ordinal);
    }

    [Fact]
    public void FirstDifference_NegativeZero_IsADifference()
    {
        Assert.NotNull(ScoreParity.FirstDifference(Response(0f, 1f), Response(-0f, 1f)));
    }

    [Fact]
    public void FirstDifference_FailedModel_IsADifference()
    {
        var failed = Response(0.25f, 0.5f);
        failed.Results[0].Status = new Status { Code = 4, Message = "deadline" };

        Assert.NotNull(ScoreParity.FirstDifference(Response(0.25f, 0.5f), failed));
    }

    [Fact]
    public void FirstDifference_OtherVersion_IsADifference()
    {
        var other = Response(0.25f, 0.5f);
        other.Results[0].Version = "2";

        Assert.NotNull(ScoreParity.FirstDifference(Response(0.25f, 0.5f), other));
    }

    private static ScoreResponse Response(float first, float second)
    {
        var result = new ModelResult { Model = "m", Version = "1", Outputs = { "p" } };
        result.Candidates.Add(new CandidateScores { Id = "c0", Scores = { first } });
        result.Candidates.Add(new CandidateScores { Id = "c1", Scores = { second } });
        return new ScoreResponse { Results = { result } };
    }
}
