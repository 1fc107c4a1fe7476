using System.Text.RegularExpressions;
using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.FunctionalTests.Bench;
using Arbor.Testing;
using Xunit;

namespace Arbor.FunctionalTests.Cluster;

/// <summary>
/// <c>arbor bench rolling-restart</c> in short form: two replicas of each leaf partition and two
/// roots as real processes; every one of them is drained (SIGTERM), restarted and back in traffic,
/// one after the other, under steady load, and no request fails: on loopback, and with every
/// process on a host of its own (network namespaces) where the roots find the replicas through DNS.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed partial class RollingRestartTests
{
    [Fact]
    public Task EveryLeafReplicaAndRoot_RestartedOneAtATimeUnderLoad_NoRequestFails() => RunAsync(namespaces: false);

    [Fact]
    public Task OnHostsOfTheirOwn_LeavesFoundThroughDns_RestartedOneAtATimeUnderLoad_NoRequestFails()
    {
        if (!LinkNet.IsRoot || !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            Assert.Skip("network namespaces need root and iproute2 (scripts/linknet.sh hosts N)");
        }

        return RunAsync(namespaces: true);
    }

    private static async Task RunAsync(bool namespaces)
    {
        using var work = new TempDirectory("arbor-rolling-");
        var options = new RollingRestartOptions
        {
            Namespaces = namespaces,
            Replicas = 2,
            Roots = 2,
            Callers = 2,
            Scenario = BenchScenario.Small,
            // Generous on a loaded machine: what is measured is whether a restart fails requests, not latency.
            Deadline = TimeSpan.FromSeconds(20),
            DrainDelay = TimeSpan.FromSeconds(1),
            Steady = TimeSpan.FromSeconds(2),
            WorkDirectory = work.Path,
        };

        var report = await RollingRestartBench.RunAsync(options, BenchProgress.Silent(), TestContext.Current.CancellationToken);

        Assert.True(report.Failed == 0, $"{report.Failed} of {report.Requests} requests failed:\n{string.Join('\n', report.FirstFailures)}\n{RollingRestartBench.Format(report)}\n{LogLinesOf(report.FirstFailures, work.Path)}");
        Assert.Equal(report.Partitions.Count * options.Replicas + options.Roots, report.Steps.Count);
        Assert.Equal(report.Steps.Count, report.Steps.Select(s => s.Process).Distinct().Count());
        Assert.All(report.Steps, s =>
        {
            Assert.True(s.Requests > 0, $"no request ran while {s.Process} restarted");
            Assert.True(s.DrainSeconds >= options.DrainDelay.TotalSeconds, $"{s.Process} exited {s.DrainSeconds:F2} s after SIGTERM, before its drain delay");
        });
        // The warm-up may finish no request on a loaded machine (cold processes); its failures still count above.
        Assert.Equal("warm-up", report.Phases[0].Name);
        Assert.All(report.Phases.Skip(1), p => Assert.True(p.Requests > 0, $"no request in phase '{p.Name}'"));
    }

    /// <summary>
    /// What the processes logged about the failed requests (every log line carries the request's
    /// trace id, which a failure's correlation id is), so that a failure says why.
    /// </summary>
    private static string LogLinesOf(IEnumerable<string> failures, string workDirectory)
    {
        var ids = failures.Select(f => CorrelationId().Match(f)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
        if (ids.Count == 0)
        {
            return "";
        }

        var lines = new List<string>();
        foreach (var log in Directory.EnumerateFiles(workDirectory, "*.log", SearchOption.AllDirectories))
        {
            lines.AddRange(File.ReadLines(log).Where(line => ids.Exists(id => line.Contains(id, StringComparison.Ordinal))).Select(line => $"{Path.GetFileName(log)}: {line}"));
        }

        return $"log lines of the failed requests:\n{string.Join('\n', lines.Take(40))}";
    }

    [GeneratedRegex(@"correlation id ([0-9a-f]{32})")]
    private static partial Regex CorrelationId();
}
