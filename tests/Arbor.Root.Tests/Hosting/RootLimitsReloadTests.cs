using Arbor.Root.Hosting;
using Arbor.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Hosting;

public sealed class RootLimitsReloadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reload_MaxCandidatesRaisedBeyondTheMessageLimit_IsRefusedAndTheOldLimitHolds()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var reloader = cluster.Services.GetRequiredService<RootConfigReloader>();
        var config = await File.ReadAllTextAsync(cluster.ConfigPath, Ct);

        // Every registered candidate feature takes at least one byte a row: a million rows cannot fit 1 MiB.
        // Written aside and renamed over the file, so the reloader never reads half a file.
        var staged = cluster.ConfigPath + ".new";
        await File.WriteAllTextAsync(
            staged,
            config.Replace("\"max_candidates\": 50,", "\"max_candidates\": 1000000, \"max_message_bytes\": 1048576,", StringComparison.Ordinal),
            Ct);
        File.Move(staged, cluster.ConfigPath, overwrite: true);
        await Eventually.WaitUntilAsync(() => reloader.LastError is not null, "the reload is refused", TimeSpan.FromSeconds(30), Ct);

        Assert.Contains("$.limits.max_candidates", reloader.LastError, StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(RootTestCluster.Request(candidates: 51)));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("the limit is 50", error.Status.Detail, StringComparison.Ordinal);
        var served = await cluster.ScoreAsync(RootTestCluster.Request());
        Assert.All(served.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
    }
}
