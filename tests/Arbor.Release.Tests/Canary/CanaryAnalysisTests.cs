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

    [Theory]
    [InlineData("model_error_rate[homefeed_ctr]")]
    [InlineData("model_p99[homefeed_ctr]")]
    public void Evaluate_OneModelWorseThanInProduction_FailsThatModelsCheckOnly(string check)
    {
        var production = Production with { Models = PerModel((3000, 3, 20), (3000, 0, 8)) };
        var canary = check.StartsWith("model_error_rate", StringComparison.Ordinal)
            // A version whose forward throws for some inputs: its requests answered, its results failed.
            ? production with { Models = PerModel((3000, 2600, 20), (3000, 0, 8)) }
            : production with { Models = PerModel((3000, 3, 45), (3000, 0, 8)) };

        var verdict = CanaryAnalysis.Evaluate(canary, production, new CanaryThresholds());

        Assert.False(verdict.Passed);
        Assert.Equal([check], verdict.Checks.Where(c => !c.Passed).Select(c => c.Name));
        Assert.Contains(verdict.Checks, c => c.Name == "model_error_rate[related_mt]" && c.Passed);
        Assert.DoesNotContain(verdict.Checks, c => c.Name == "model_error_rate");
    }

    [Fact]
    public void Evaluate_ModelProductionDoesNotServe_ErrorsCompareWithNone_LatencyIsNotCompared()
    {
        var production = Production with { Models = PerModel((3000, 3, 20)) };
        var canary = production with { Models = new Dictionary<string, ModelWindow> { ["new_model"] = new(100, 1, 500) } };

        var verdict = CanaryAnalysis.Evaluate(canary, production, new CanaryThresholds());

        var errors = Assert.Single(verdict.Checks, c => c.Name == "model_error_rate[new_model]");
        Assert.False(errors.Passed); // 1 % against none in production (limit 0.5 %)
        Assert.DoesNotContain(verdict.Checks, c => c.Name == "model_p99[new_model]");
    }

    [Fact]
    public void Between_SumsEachModelsResultsOverRoots_TakesItsWorstP99()
    {
        var before = new[]
        {
            Stats(100, 0) with { Models = new Dictionary<string, RootModelStats> { ["m"] = new(100, 1, 5) } },
            Stats(100, 0) with { Models = new Dictionary<string, RootModelStats>() },
        };
        var after = new[]
        {
            Stats(200, 0) with { Models = new Dictionary<string, RootModelStats> { ["m"] = new(190, 31, 6) } },
            Stats(200, 0) with { Models = new Dictionary<string, RootModelStats> { ["m"] = new(40, 10, 9) } },
        };

        var window = TrafficWindow.Between(before, after);

        var m = window.Models["m"];
        Assert.Equal(90 + 40, m.Results);
        Assert.Equal(30 + 10, m.Errors);
        Assert.Equal(9, m.P99Ms);
    }

    [Fact]
    public void Evaluate_OneShadowMismatch_FailsThatModelsShadowCheckOnly()
    {
        var production = Production with { Models = PerModel((3000, 3, 20), (3000, 0, 8)) };
        var models = PerModel((3000, 3, 20), (3000, 0, 8));
        models["homefeed_ctr"] = models["homefeed_ctr"] with { ShadowSamples = 40, ShadowMismatches = 1 };
        models["related_mt"] = models["related_mt"] with { ShadowSamples = 40 };

        var verdict = CanaryAnalysis.Evaluate(production with { Models = models }, production, new CanaryThresholds());

        Assert.False(verdict.Passed);
        var failed = Assert.Single(verdict.Checks, c => !c.Passed);
        Assert.Equal("shadow_mismatch[homefeed_ctr]", failed.Name);
        Assert.Equal(1, failed.Canary);
        Assert.Contains("1 of 40 shadow pairs", failed.Message, StringComparison.Ordinal);
        Assert.Contains(verdict.Checks, c => c.Name == "shadow_mismatch[related_mt]" && c.Passed);
    }

    [Fact]
    public void Evaluate_NoShadowSamples_HasNoShadowCheck()
    {
        var production = Production with { Models = PerModel((3000, 3, 20)) };

        var verdict = CanaryAnalysis.Evaluate(production, production, new CanaryThresholds());

        Assert.True(verdict.Passed, string.Join("\n", verdict.Checks));
        Assert.DoesNotContain(verdict.Checks, c => c.Name.StartsWith("shadow_mismatch", StringComparison.Ordinal));
    }

    [Fact]
    public void Between_SumsEachModelsShadowPairsAndMismatchesOverRoots()
    {
        var before = new[]
        {
            Stats(100, 0) with { Shadow = new Dictionary<string, RootShadowStats> { ["m"] = new(10, 0) } },
            Stats(100, 0),
        };
        var after = new[]
        {
            Stats(200, 0) with { Shadow = new Dictionary<string, RootShadowStats> { ["m"] = new(25, 2) } },
            Stats(200, 0) with { Shadow = new Dictionary<string, RootShadowStats> { ["m"] = new(5, 1) } },
        };

        var m = TrafficWindow.Between(before, after).Models["m"];

        Assert.Equal((15 + 5, 2 + 1), (m.ShadowSamples, m.ShadowMismatches));
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

    private static Dictionary<string, ModelWindow> PerModel((long Results, long Errors, double P99Ms) homefeed, (long Results, long Errors, double P99Ms)? related = null)
    {
        var models = new Dictionary<string, ModelWindow> { ["homefeed_ctr"] = new(homefeed.Results, homefeed.Errors, homefeed.P99Ms) };
        if (related is { } r)
        {
            models["related_mt"] = new(r.Results, r.Errors, r.P99Ms);
        }

        return models;
    }

    private static RootStats Stats(long requests, long errors, double p99 = 10) => new(requests, errors, requests * 10, 1, p99, requests * 1000, 0, requests);
}
