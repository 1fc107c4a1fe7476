using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.FunctionalTests.Bench;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Deploy;

/// <summary>
/// The images and the dev overlay as a running fleet (<see cref="PodmanFleet"/>: 2 roots, 2
/// replicas of each leaf partition, leaves found through DNS) and a rolling restart of every pod
/// under steady load, as a rollout does it: SIGTERM with the Deployment's grace period (the
/// processes' drain delays from the manifests), start again, ready, back in traffic, next. No
/// request may fail. Skipped only where podman (or kubectl, python3) is missing.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KubePlayRolloutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DevOverlay_PlayedWithPodman_RollingRestartOfEveryPod_NoRequestFails()
    {
        if (PodmanFleet.Missing() is { } missing)
        {
            Assert.Skip(missing);
        }

        var ct = TestContext.Current.CancellationToken;
        using var work = new TempDirectory("arbor-kube-play-");
        File.SetUnixFileMode(work.Path, (UnixFileMode)0b111_101_101);
        var artefacts = await SampleArtefacts.EnsureAsync(RepositoryPaths.Root, work.Path, output.WriteLine, ct);
        await using var fleet = await PodmanFleet.StartAsync(artefacts, work.Path, output.WriteLine, ct);

        var roots = new List<RootEndpoint>();
        foreach (var pod in fleet.RootPods)
        {
            roots.Add(await fleet.RootEndpointAsync(pod, ct));
        }

        await using var service = new ReadyEndpoints(roots, TimeSpan.FromMilliseconds(100));
        var targets = fleet.LeafPods.Select(pod => LeafTarget(fleet, pod)).Concat(fleet.RootPods.Select(pod => RootTarget(fleet, service, pod))).ToList();
        var options = new RollingRestartOptions
        {
            Replicas = 2,
            Roots = 2,
            Callers = 2,
            Scenario = BenchScenario.Small,
            // Generous on a loaded machine: what is measured is whether a restart fails requests, not latency.
            Deadline = TimeSpan.FromSeconds(20),
            DrainDelay = TimeSpan.FromSeconds(10),
            Steady = TimeSpan.FromSeconds(3),
            RestartTimeout = TimeSpan.FromMinutes(4),
            WorkDirectory = work.Path,
        };

        var requests = Requests(artefacts);
        var report = await RollingRestartBench.RunAsync(service, requests, targets, ["homefeed", "related"], options, new BenchProgress(new TestOutputWriter(output), interactive: false), ct);
        output.WriteLine(RollingRestartBench.Format(report));

        Assert.True(report.Failed == 0, $"{report.Failed} of {report.Requests} requests failed:\n{string.Join('\n', report.FirstFailures)}\n{await fleet.DescribeAsync(ct)}");
        Assert.Equal(fleet.LeafPods.Count + fleet.RootPods.Count, report.Steps.Count);
        Assert.All(report.Steps, s => Assert.True(s.Requests > 0, $"no request ran while {s.Process} restarted"));
        // The warm-up may finish no request on a loaded machine (cold processes); its failures still count above.
        Assert.Equal("warm-up", report.Phases[0].Name);
        Assert.All(report.Phases.Skip(1), p => Assert.True(p.Requests > 0, $"no request in phase '{p.Name}'"));
    }

    private static RestartTarget LeafTarget(PodmanFleet fleet, string pod) => new(
        pod,
        ct => fleet.StopAsync(pod, ct),
        ct => fleet.StartPodAsync(pod, ct),
        ct => fleet.LeafReadyAsync(pod, ct),
        async ct =>
        {
            // The pod may be back at another address: the roots find it by re-resolving the alias.
            var authority = $"{await fleet.AddressAsync(pod, ct)}:7000";
            await RollingRestartBench.LeafBackInTrafficAsync(fleet.RootPods.Select(r => (Func<CancellationToken, Task<System.Text.Json.JsonDocument>>)(c => fleet.RootStatsAsync(r, c))).ToList(), authority, ct);
        });

    private static RestartTarget RootTarget(PodmanFleet fleet, ReadyEndpoints service, string pod) => new(
        pod,
        ct => fleet.StopAsync(pod, ct),
        async ct =>
        {
            await fleet.StartPodAsync(pod, ct);
            service.Replace(await fleet.RootEndpointAsync(pod, ct));
        },
        async ct =>
        {
            while (!service.IsReady(pod))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            }
        },
        ct => RollingRestartBench.RootBackInTrafficAsync(pod, service, c => fleet.RootStatsAsync(pod, c), ct));

    /// <summary>The dev overlay routes one surface per partition: requests alternate between them so every leaf gets traffic.</summary>
    private static Func<ScoreRequest> Requests(SampleArtefacts artefacts)
    {
        var homefeed = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), BenchScenario.Small with { Surface = "homefeed" }, 7);
        var related = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), BenchScenario.Small with { Surface = "related" }, 8);
        var next = 0L;
        return () =>
        {
            var workload = Interlocked.Increment(ref next) % 2 == 0 ? homefeed : related;
            lock (workload)
            {
                return workload.Next();
            }
        };
    }

    private sealed class TestOutputWriter(ITestOutputHelper output) : StringWriter
    {
        public override void WriteLine(string? value) => output.WriteLine(value ?? "");
    }
}
