using System.Diagnostics.Metrics;
using Arbor.Contracts.V1;
using Arbor.Root.Cache.Shared;
using Arbor.Root.Store;
using Arbor.Root.Tests.Cache;
using Arbor.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Hosting;

/// <summary>Real roots configured with <c>cache.shared</c> over one real Redis.</summary>
public sealed class RootSharedTierTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Score_SecondRoot_FirstRequestServedFromTheTier_AndTierDown_StillScores()
    {
        using var redis = new LocalRedisServer();
        string WithTier(string config) => config.Replace(
            "\"cache\": { \"ttl_seconds\": 300 }",
            $"\"cache\": {{ \"ttl_seconds\": 300, \"shared\": {{ \"redis\": \"{redis.ConnectionString}\", \"ttl_seconds\": 120, \"timeout_ms\": 5000 }} }}",
            StringComparison.Ordinal);
        await using var first = await RootTestCluster.StartAsync(editConfig: WithTier);
        await using var second = await RootTestCluster.StartAsync(editConfig: WithTier);
        using var secondHits = Recorder(second, "arbor.shared_tier.hits");
        using var secondMisses = Recorder(second, "arbor.shared_tier.misses");
        using var secondErrors = Recorder(second, "arbor.shared_tier.errors");

        var before = await first.ScoreAsync(RootTestCluster.Request(user: "u1"));
        var tier = first.Services.GetRequiredService<SharedFeatureTier>();
        await Eventually.WaitUntilAsync(() => tier.PendingWrites == 0, "the first root's write-backs", TimeSpan.FromSeconds(10), Ct);
        var after = await second.ScoreAsync(RootTestCluster.Request(user: "u1"));

        Assert.All(before.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.Equal(before.Results.Select(Scores), after.Results.Select(Scores));
        Assert.True(secondHits.Sum > 0, "the second root found nothing in the tier");
        Assert.Equal(0, secondMisses.Sum);

        redis.Stop();
        var down = await second.ScoreAsync(RootTestCluster.Request(user: "u2"));

        Assert.All(down.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.True(secondErrors.Sum > 0, "the tier's failure was not counted");
    }

    private static CounterRecorder Recorder(RootTestCluster cluster, string instrument) =>
        new(cluster.Services.GetRequiredService<IMeterFactory>(), SharedTierMetrics.MeterName, instrument);

    private static string Scores(ModelResult result) =>
        string.Join(",", result.Candidates.Select(c => string.Join("/", c.Scores.Select(BitConverter.SingleToInt32Bits))));
}
