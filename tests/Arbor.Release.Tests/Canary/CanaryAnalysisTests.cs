using Arbor.Release.Canary;
using Arbor.Release.Verification;

namespace Arbor.Release.Tests.Canary;

public sealed class CanaryAnalysisTests
{
    private static readonly TrafficWindow Production = new(
        Requests: 1000, Errors: 2, Candidates: 100_000, LeafBytesSent: 10_000_000, UntrimmedCalls: 0, TrimmedCalls: 3000, P99Ms: 20, ModelResults: 3000, ModelErrors: 3);

    private static CanaryVerdict Evaluate(TrafficWindow canary) => CanaryAnalysis.Evaluate(canary, Production, new CanaryThresholds());

    [Fact]
    public void Evaluate_CanaryLikeProduction_Passes()
    {
        var verdict = Evaluate(Production with { Requests = 500, Candidates = 50_000, LeafBytesSent = 5_200_000, P99Ms = 22 });

        Assert.True(verdict.Passed, string.Join("\n", verdict.Checks));
    }

    [Theory]
    [InlineData("error_rate")]
    [InlineData("model_error_rate")]
    [InlineData("p99")]
    [InlineData("bytes_per_candidate")]
    [InlineData("untrimmed_share")]
    [InlineData("traffic")]
    public void Evaluate_CanaryWorseOnOneMeasure_FailsThatCheckOnly(string check)
    {
        var canary = check switch
        {
            "error_rate" => Production with { Errors = 50 },
            // A version whose forward throws for some inputs: every request answered, its model results failed.
            "model_error_rate" => Production with { ModelErrors = 2600 },
            "p99" => Production with { P99Ms = 40 },
            "bytes_per_candidate" => Production with { LeafBytesSent = 30_000_000 },
            "untrimmed_share" => Production with { UntrimmedCalls = 300, TrimmedCalls = 2700 },
            _ => Production with { Requests = 10, Errors = 0 },
        };

        var verdict = Evaluate(canary);

        Assert.False(verdict.Passed);
        Assert.Equal([check], verdict.Checks.Where(c => !c.Passed).Select(c => c.Name));
    }

    [Fact]
    public void Between_RootRestartedDuringTheWindow_CountsItsCountersSinceRestart()
    {
        var before = new[] { Stats(requests: 1000, errors: 5), Stats(requests: 200, errors: 1) };
        var after = new[] { Stats(requests: 1100, errors: 6), Stats(requests: 30, errors: 0) };

        var window = TrafficWindow.Between(before, after);

        Assert.Equal(130, window.Requests);
        Assert.Equal(1, window.Errors);
    }

    [Fact]
    public void Between_TakesTheWorstRootsP99()
    {
        var window = TrafficWindow.Between([Stats(1, 0, p99: 3), Stats(1, 0, p99: 9)], [Stats(2, 0, p99: 4), Stats(2, 0, p99: 12)]);

        Assert.Equal(12, window.P99Ms);
    }

    private static RootStats Stats(long requests, long errors, double p99 = 10) => new(requests, errors, requests * 10, 1, p99, requests * 1000, 0, requests);
}
