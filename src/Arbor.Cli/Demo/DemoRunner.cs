using System.Diagnostics;
using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;

namespace Arbor.Cli.Demo;

/// <summary>
/// The one-command demo: sample models, bundles and feature store (made once), one root per
/// fan-out mode and one leaf per partition as separate processes on loopback, a short interleaved
/// workload with progress, then the comparison table. Everything stops on the way out, Ctrl+C included.
/// </summary>
public static class DemoRunner
{
    public static async Task<int> RunAsync(BenchScenario scenario, TimeSpan duration, double? rate, string workDirectory, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Console.WriteLine("Arbor demo: the Feature Trimmer against sending the union of features, and against compression alone.");
        Console.WriteLine($"  workload: {scenario.Description}");
        var options = new NetworkBenchOptions
        {
            Scenario = scenario,
            Modes = BenchMode.All,
            Duration = duration,
            RequestsPerSecond = rate,
            Leaves = LeafLayout.Shared,
            WorkDirectory = workDirectory,
            Command = "arbor demo",
        };
        var report = await NetworkBench.RunAsync(options, new BenchProgress(Console.Out, !Console.IsOutputRedirected), cancellationToken);

        var json = Path.Combine(workDirectory, "report.json");
        BenchReportJson.Write(report, json);
        await File.WriteAllTextAsync(Path.ChangeExtension(json, ".svg"), BenchChart.Render(report), cancellationToken);

        Console.WriteLine();
        Console.WriteLine($"Per mode, measured over {report.MeasuredS:F0} s at {report.OfferedRequestsPerS:0.##} requests/s per mode ({report.CandidatesPerRequest} candidates each; every request sent to all modes):");
        Console.WriteLine();
        Console.Write(BenchTable.Format(report));
        Console.WriteLine();
        Console.WriteLine(NetworkBenchCommandLine.Summary(report));
        Console.WriteLine("bytes/cand: bytes the root wrote on its leaf connections (HTTP/2 frames, after compression) per request candidate, all models together.");
        Console.WriteLine("root CPU: the root process's CPU time per candidate over this short run, the roots' warm-up (JIT) included: `arbor bench root` measures a root at steady state. Leaves are shared by the modes here: `arbor bench` gives each mode its own to attribute leaf CPU.");
        Console.WriteLine("wire/values: bytes on the wire over the raw bytes of the feature values carried (4 a float, 8 an id, 4·dim a vector).");
        Console.WriteLine($"report: {json} (chart {Path.ChangeExtension(json, ".svg")}); demo finished in {clock.Elapsed.TotalSeconds:F0} s, all processes stopped.");
        return report.Modes.All(m => m.ScoresMatch) ? 0 : 1;
    }
}
