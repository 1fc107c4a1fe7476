using Arbor.Leaf.Configuration;
using Arbor.Leaf.Models;
using Arbor.Leaf.Service;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Testing;

namespace Arbor.Leaf.Tests.Service;

public sealed class LeafScorerTests(TestModelSet models)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Score_DeadlineAlreadyPassed_IsSkippedWithDeadlineExceeded()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        var time = new ManualTimeProvider();
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())), time);

        var error = await Assert.ThrowsAsync<LeafScoreException>(() =>
            partition.Scorer.ScoreAsync(ScoringCases.All[0].ToRequest("ctr"), time.GetUtcNow() - TimeSpan.FromMilliseconds(1), Ct));
        var onTime = await partition.Scorer.ScoreAsync(ScoringCases.All[0].ToRequest("ctr"), time.GetUtcNow() + TimeSpan.FromSeconds(1), Ct);

        Assert.Equal(LeafStatusCode.DeadlineExceeded, error.Status);
        Assert.Equal(6, onTime.Scores.Count);
    }

    [Fact]
    public async Task Score_ZeroRows_ReturnsAnEmptyResponse()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));

        var response = await partition.Scorer.ScoreAsync(new Arbor.Contracts.V1.LeafScoreRequest { Model = "ctr" }, null, Ct);

        Assert.Empty(response.Scores);
        Assert.Equal("1", response.Version);
    }
}
