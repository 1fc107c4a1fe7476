using System.Collections.Concurrent;
using Arbor.Cli.Cluster;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Cluster;

public sealed class ProcessSupervisorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChildThatDies_IsReportedWithItsOutputAndRestarted_WhileItsSiblingKeepsRunning()
    {
        await using var crashing = ManagedProcess.Start("crashing", "/bin/sh", ["-c", "echo about to fail; exit 3"]);
        await using var steady = ManagedProcess.Start("steady", "/bin/sh", ["-c", "exec sleep 600"]);
        var reports = new ConcurrentQueue<string>();
        var supervisor = new ProcessSupervisor(TimeProvider.System, reports.Enqueue)
        {
            InitialBackoff = TimeSpan.FromMilliseconds(10),
            MaxBackoff = TimeSpan.FromMilliseconds(40),
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var steadyId = steady.Id;

        var supervising = supervisor.RunAsync([crashing, steady], stop.Token);
        await Eventually.WaitUntilAsync(() => crashing.Restarts >= 3, "three restarts", TimeSpan.FromSeconds(30), Ct);
        await stop.CancelAsync();
        await supervising;

        Assert.False(steady.HasExited);
        Assert.Equal(steadyId, steady.Id);
        Assert.Equal(0, steady.Restarts);
        var first = reports.First();
        Assert.Contains("crashing exited with code 3", first, StringComparison.Ordinal);
        Assert.Contains("about to fail", first, StringComparison.Ordinal);
        Assert.DoesNotContain(reports, r => r.Contains("steady", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LogFile_KeepsEveryLineAcrossRestarts_AndTheReportNamesIt()
    {
        using var directory = new TempDirectory("arbor-logs-");
        var log = directory.Combine("logs", "child.log");
        await using var child = ManagedProcess.Start("child", "/bin/sh", ["-c", "for i in $(seq 1 300); do echo line $i; done; echo oops >&2; exit 4"], logFile: log);
        var reports = new ConcurrentQueue<string>();
        var supervisor = new ProcessSupervisor(TimeProvider.System, reports.Enqueue) { InitialBackoff = TimeSpan.FromMilliseconds(10) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var supervising = supervisor.RunAsync([child], stop.Token);
        await Eventually.WaitUntilAsync(() => child.Restarts >= 1 && reports.Count >= 2, "a restart and a second exit", TimeSpan.FromSeconds(30), Ct);
        await stop.CancelAsync();
        await supervising;

        // The file has every line of each finished run (the in-memory tail keeps only the last 200).
        var lines = await File.ReadAllLinesAsync(log, Ct);
        var finished = reports.Count;
        Assert.True(lines.Count(l => l == "line 1") >= finished);
        Assert.True(lines.Count(l => l == "line 300") >= finished);
        Assert.True(lines.Count(l => l == "oops") >= finished);
        Assert.Equal(child.Restarts, lines.Count(l => l.StartsWith("--- child restarted", StringComparison.Ordinal)));
        Assert.Equal(Path.GetFullPath(log), child.LogFile);
        Assert.Contains($"(log: {child.LogFile})", reports.First(), StringComparison.Ordinal);
        Assert.Contains("child exited with code 4", reports.First(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backoff_DoublesUpToItsCap()
    {
        await using var crashing = ManagedProcess.Start("crashing", "/bin/sh", ["-c", "exit 1"]);
        var reports = new ConcurrentQueue<string>();
        var supervisor = new ProcessSupervisor(TimeProvider.System, reports.Enqueue)
        {
            InitialBackoff = TimeSpan.FromMilliseconds(10),
            MaxBackoff = TimeSpan.FromMilliseconds(40),
            StableAfter = TimeSpan.FromHours(1),
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var supervising = supervisor.RunAsync([crashing], stop.Token);
        await Eventually.WaitUntilAsync(() => reports.Count >= 5, "five exits", TimeSpan.FromSeconds(30), Ct);
        await stop.CancelAsync();
        await supervising;

        var waits = reports.Take(5).Select(r => r[(r.IndexOf("restarting in ", StringComparison.Ordinal) + 14)..r.IndexOf(" ms.", StringComparison.Ordinal)]);
        Assert.Equal(["10", "20", "40", "40", "40"], waits);
    }
}
