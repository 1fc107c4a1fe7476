using System.Diagnostics;
using System.Globalization;
using Arbor.Contracts.V1;
using Arbor.FunctionalTests.Bench;
using Grpc.Core;
using Xunit;

namespace Arbor.FunctionalTests.Faults;

/// <summary>
/// One leaf process killed or hung under a real root: the other partition's models keep scoring,
/// the faulty partition's models fail with their own status inside successful responses, every
/// other process stays up, and scores come back bit for bit once the leaf does.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class LeafFaultTests(FaultCluster faults) : IClassFixture<FaultCluster>
{
    private static readonly TimeSpan Recovery = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LeafKilled_ItsModelsUnavailable_OthersScored_RecoversWhenRestarted()
    {
        var request = faults.NextRequest();
        var before = await faults.ScoreAsync(request, Ct);
        AssertAllScored(before);
        var related = faults.Leaf("related");

        Process.GetProcessById(related.Process.Id).Kill();
        await related.Process.WaitForExitAsync(Ct);
        var during = await faults.ScoreAsync(request, Ct);

        AssertPartitionFailed(during, before, "related", StatusCode.Unavailable);
        AssertAlive("related");

        related.Process.Restart();
        await related.Process.WaitUntilReadyAsync(faults.Probe, new Uri(related.HttpAddress, "/readyz"), Recovery, Ct);
        var after = await ScoreUntilAllScoredAsync(request);
        Assert.Equal(Scores(before), Scores(after));
        AssertAlive(null);
    }

    [Fact]
    public async Task LeafHung_ItsModelsEndAtTheLeafTimeout_OthersScored_RecoversWhenResumed()
    {
        var request = faults.NextRequest();
        var before = await faults.ScoreAsync(request, Ct);
        AssertAllScored(before);
        var related = faults.Leaf("related");

        Signal("STOP", related.Process.Id);
        ScoreResponse during;
        TimeSpan took;
        try
        {
            var watch = Stopwatch.StartNew();
            during = await faults.ScoreAsync(request, Ct);
            took = watch.Elapsed;
        }
        finally
        {
            Signal("CONT", related.Process.Id);
        }

        AssertPartitionFailed(during, before, "related", StatusCode.DeadlineExceeded);
        Assert.True(took < TimeSpan.FromMilliseconds(FaultCluster.Limits.DefaultDeadlineMs), $"a hung leaf held the request {took.TotalMilliseconds:0} ms");
        AssertAlive(null);

        var after = await ScoreUntilAllScoredAsync(request);
        Assert.Equal(Scores(before), Scores(after));
    }

    private static void AssertAllScored(ScoreResponse response) =>
        Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {r.Status.Message}"));

    /// <summary>The partition's models failed with <paramref name="status"/>; every other model scored exactly as before.</summary>
    private static void AssertPartitionFailed(ScoreResponse during, ScoreResponse before, string partition, StatusCode status)
    {
        Assert.Contains(during.Results, r => r.Partition == partition);
        Assert.Contains(during.Results, r => r.Partition != partition);
        Assert.All(during.Results.Where(r => r.Partition == partition), r => Assert.Equal((int)status, r.Status.Code));
        var healthy = during.Results.Where(r => r.Partition != partition).ToList();
        AssertAllScored(new ScoreResponse { Results = { healthy } });
        Assert.Equal(Scores(before).Where(s => healthy.Any(h => s.StartsWith(h.Model + ":", StringComparison.Ordinal))), Scores(new ScoreResponse { Results = { healthy } }));
    }

    private void AssertAlive(string? except)
    {
        Assert.False(faults.Root.Process.HasExited, $"the root exited: {faults.Root.Process.Tail(20)}");
        Assert.All(faults.Cluster.Leaves.Where(l => l.Partition != except), l => Assert.False(l.Process.HasExited, $"{l.Process.Name} exited: {l.Process.Tail(20)}"));
    }

    /// <summary>Polls with the same request until every model scores again (the root's ejection back-off ends).</summary>
    private async Task<ScoreResponse> ScoreUntilAllScoredAsync(ScoreRequest request)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var response = await faults.ScoreAsync(request, Ct);
            if (response.Results.All(r => r.Status.Code == 0))
            {
                return response;
            }

            if (watch.Elapsed > Recovery)
            {
                throw new TimeoutException($"not recovered after {Recovery.TotalSeconds:0} s: {string.Join("; ", response.Results.Where(r => r.Status.Code != 0).Select(r => $"{r.Model}: {r.Status.Message}"))}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        }
    }

    private static List<string> Scores(ScoreResponse response) =>
        [.. response.Results.Select(r => r.Model + ":" + string.Join(";", r.Candidates.Select(c => c.Id + "=" + string.Join(",", c.Scores.Select(s => BitConverter.SingleToInt32Bits(s).ToString(CultureInfo.InvariantCulture))))))];

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
