using Arbor.Contracts.V1;
using Arbor.Features.Selection;
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
    public async Task Score_RequestsLackingAFeature_TheServedVersionRecordsItAsNeverReceived()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));
        var request = ScoringCases.All[0].ToRequest("ctr");
        var removed = request.Columns[0].Name;
        request.Columns.RemoveAt(0);

        await partition.Scorer.ScoreAsync(request, null, Ct);

        Assert.True(partition.Manager.TryAcquire("ctr", string.Empty, out var lease) == LeaseOutcome.Acquired);
        using (lease)
        {
            Assert.Equal([removed], lease.Version.Loaded!.AbsentFeatures.NeverReceived());
        }
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

    [Fact]
    public async Task Score_TrimmedForAnotherAllowlist_LackingAUsedFeature_FailsPreconditionNamingIt()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));
        var request = ScoringCases.All[0].ToRequest("ctr");
        var removed = request.Columns[0].Name;
        request.Columns.RemoveAt(0);
        request.TrimmedFor = new TrimmedFor { Model = "ctr", Version = "0", AllowlistSha256 = AllowlistHash.Of(["some_other_feature"]) };

        var error = await Assert.ThrowsAsync<LeafScoreException>(() => partition.Scorer.ScoreAsync(request, null, Ct));

        Assert.Equal(LeafStatusCode.FailedPrecondition, error.Status);
        Assert.Contains(removed, error.Message, StringComparison.Ordinal);
        Assert.Contains("version '1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("trimmed for version '0'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_TrimmedForThisVersionsOwnFeatures_ScoresWithDefaultsForAbsentOnes()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));
        Assert.Equal(LeaseOutcome.Acquired, partition.Manager.TryAcquire("ctr", "", out var lease));
        string own;
        using (lease)
        {
            own = lease.Runner.Converter.FeatureSetSha256;
        }

        var request = ScoringCases.All[0].ToRequest("ctr");
        request.Columns.RemoveAt(0);
        var untrimmed = await partition.Scorer.ScoreAsync(request.Clone(), null, Ct);
        request.TrimmedFor = new TrimmedFor { Model = "ctr", Version = "1", AllowlistSha256 = own };

        var trimmed = await partition.Scorer.ScoreAsync(request, null, Ct);

        Assert.Equal(untrimmed.Scores, trimmed.Scores);
        Assert.Equal(1u, trimmed.MissingFeatures);
    }

    [Fact]
    public async Task Score_ShadowPairsUnbatchedAmidBatchedTraffic_TrimmedEqualsUntrimmedBitForBit()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        var config = TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest()))
            .WithBatching(new Arbor.Leaf.Inference.BatchingOptions(true, 1024, TimeSpan.FromMilliseconds(2)));
        await using var partition = await TestPartitions.StartAsync(config);
        Assert.Equal(LeaseOutcome.Acquired, partition.Manager.TryAcquire("ctr", "", out var lease));
        string own;
        using (lease)
        {
            own = lease.Runner.Converter.FeatureSetSha256;
        }

        const int Samples = 60;
        for (var sample = 0; sample < Samples; sample++)
        {
            var scoringCase = ScoringCases.All[sample % ScoringCases.All.Count];
            // The untrimmed twin carries a column the model does not use; the trimmed call has only the model's own.
            var untrimmed = scoringCase.ToRequest("ctr");
            untrimmed.Columns.Add(new FeatureColumn { Name = "not_in_the_signature", Floats = new FloatColumn { Values = { Enumerable.Repeat(7f, scoringCase.Rows) } } });
            untrimmed.Unbatched = true;
            var trimmed = scoringCase.ToRequest("ctr");
            trimmed.TrimmedFor = new TrimmedFor { Model = "ctr", Version = "1", AllowlistSha256 = own };
            trimmed.Unbatched = true;

            // Ordinary traffic around the pair is merged by the batcher; the pair never is.
            var traffic = Enumerable.Range(1, 4).Select(k => partition.Scorer.ScoreAsync(ScoringCases.All[(sample + k) % ScoringCases.All.Count].ToRequest("ctr"), null, Ct)).ToList();
            var pair = await Task.WhenAll(partition.Scorer.ScoreAsync(trimmed, null, Ct), partition.Scorer.ScoreAsync(untrimmed, null, Ct));
            await Task.WhenAll(traffic);

            Assert.Equal(pair[1].Scores.Select(BitConverter.SingleToInt32Bits), pair[0].Scores.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public async Task Score_TrimmedForAnotherAllowlist_WithEveryUsedFeature_Scores()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));
        var request = ScoringCases.All[0].ToRequest("ctr");
        var untrimmed = await partition.Scorer.ScoreAsync(request.Clone(), null, Ct);
        request.TrimmedFor = new TrimmedFor { Model = "ctr", Version = "0", AllowlistSha256 = AllowlistHash.Of(["some_other_feature"]) };

        var trimmed = await partition.Scorer.ScoreAsync(request, null, Ct);

        Assert.Equal(untrimmed.Scores, trimmed.Scores);
    }

    [Fact]
    public async Task Score_TrimmedForAnotherAllowlist_LackingOnlyFeaturesTheRootLacked_ScoresWithDefaults()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var partition = await TestPartitions.StartAsync(TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())));
        var request = ScoringCases.All[0].ToRequest("ctr");
        var removed = request.Columns[0].Name;
        request.Columns.RemoveAt(0);
        var untrimmed = await partition.Scorer.ScoreAsync(request.Clone(), null, Ct);
        request.TrimmedFor = new TrimmedFor { Model = "ctr", Version = "0", AllowlistSha256 = AllowlistHash.Of(["some_other_feature", removed]), AbsentFeatures = { removed } };

        var trimmed = await partition.Scorer.ScoreAsync(request, null, Ct);

        Assert.Equal(untrimmed.Scores, trimmed.Scores);
    }
}
