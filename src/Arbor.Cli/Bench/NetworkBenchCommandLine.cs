using System.CommandLine;
using System.Globalization;
using Arbor.Cli.Cluster;

namespace Arbor.Cli.Bench;

/// <summary>
/// The options and action of <c>arbor bench --scenario NAME</c> (the network benchmark), attached
/// to the <c>bench</c> command beside its subcommands.
/// </summary>
public static class NetworkBenchCommandLine
{
    public static void AddTo(Command bench)
    {
        var scenario = new Option<string>("--scenario") { Description = $"Workload: {string.Join(", ", BenchScenario.All.Select(s => s.Name))}, {OverloadBenchCommandLine.Scenario} (goodput at 1x, 2x, 5x the sustainable load), or {FaultBench.Scenario} (one fault at a time under steady load).", DefaultValueFactory = _ => BenchScenario.Reference.Name };
        var json = new Option<string?>("--json") { Description = "Write the report (one entry per mode) to this JSON file." };
        var chart = new Option<string?>("--chart") { Description = "Write an SVG chart of bytes and p99 per mode (default: the JSON path with .svg)." };
        var duration = new Option<int>("--duration") { Description = "Seconds the whole run may take, start-up included.", DefaultValueFactory = _ => 120 };
        var modes = new Option<string?>("--modes") { Description = $"Comma-separated modes (default all: {string.Join(", ", BenchMode.All.Select(m => m.Name))}; also {string.Join(", ", BenchMode.Union.Select(m => m.Name))}); untrimmed is always included as the baseline." };
        var rate = new Option<double?>("--rate") { Description = "Offered requests per second per mode (default: the scenario's; with --link-mbit: 90% of the untrimmed maximum)." };
        var leaves = new Option<string>("--leaves") { Description = "per-mode (own leaves per mode: leaf CPU attributable) or shared.", DefaultValueFactory = _ => "per-mode" };
        var link = new Option<int?>("--link-mbit") { Description = "Run roots and leaves in network namespaces joined by a link capped at N Mbit/s, modes one at a time (needs root)." };
        var workDir = new Option<string>("--work-dir") { Description = "Where configs, bundles and the feature store are written.", DefaultValueFactory = _ => Path.Combine(".arbor", "bench") };
        var seed = new Option<int>("--seed") { Description = "Workload seed.", DefaultValueFactory = _ => 7 };
        foreach (var option in new Option[] { scenario, json, chart, duration, modes, rate, leaves, link, workDir, seed })
        {
            bench.Options.Add(option);
        }

        var overload = OverloadBenchCommandLine.AddOptions(bench);
        var faults = FaultBenchCommandLine.AddOptions(bench);
        bench.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            if (result.GetValue(scenario) == FaultBench.Scenario)
            {
                var report = result.GetValue(json);
                return await faults.RunAsync(result, Path.GetFullPath(result.GetValue(workDir)!), result.GetValue(seed), report is null ? null : Path.GetFullPath(report), cancellationToken);
            }

            if (result.GetValue(scenario) == OverloadBenchCommandLine.Scenario)
            {
                var report = result.GetValue(json);
                return await overload.RunAsync(result, Path.GetFullPath(result.GetValue(workDir)!), result.GetValue(seed), report is null ? null : Path.GetFullPath(report), cancellationToken);
            }

            NetworkBenchOptions options;
            try
            {
                var layout = result.GetValue(leaves) switch
                {
                    "per-mode" => LeafLayout.PerMode,
                    "shared" => LeafLayout.Shared,
                    var other => throw new ArgumentException($"--leaves must be per-mode or shared, not '{other}'"),
                };
                if (result.GetValue(duration) <= 0 || result.GetValue(rate) is <= 0 || result.GetValue(link) is <= 0)
                {
                    throw new ArgumentException("--duration, --rate and --link-mbit must be positive");
                }

                options = new NetworkBenchOptions
                {
                    Scenario = BenchScenario.Get(result.GetValue(scenario)!),
                    Modes = BenchMode.ParseList(result.GetValue(modes)),
                    Duration = TimeSpan.FromSeconds(result.GetValue(duration)),
                    RequestsPerSecond = result.GetValue(rate),
                    Leaves = layout,
                    WorkDirectory = Path.GetFullPath(result.GetValue(workDir)!),
                    Seed = result.GetValue(seed),
                    LinkMbit = result.GetValue(link),
                    Command = "arbor " + string.Join(' ', result.Tokens.Select(t => t.Value)),
                };
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"arbor bench: {e.Message}");
                return 2;
            }

            if (options.LinkMbit is { } mbit && !LinkBench.IsInside)
            {
                return await LinkBench.RunOutsideAsync(mbit, [.. result.Tokens.Select(t => t.Value)], cancellationToken);
            }

            var progress = BenchProgress.Console();
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"arbor bench: scenario {options.Scenario.Name}, modes {string.Join(", ", options.Modes.Select(m => m.Name))}, at most {options.Duration.TotalSeconds:F0} s"));
            try
            {
                var report = options.LinkMbit is null
                    ? await NetworkBench.RunAsync(options, progress, cancellationToken)
                    : await LinkBench.RunInsideAsync(options, progress, cancellationToken);
                Console.WriteLine();
                Console.Write(BenchTable.Format(report));
                Console.WriteLine(Summary(report));
                if (result.GetValue(json) is { } jsonPath)
                {
                    BenchReportJson.Write(report, jsonPath);
                    var svg = result.GetValue(chart) ?? Path.ChangeExtension(jsonPath, ".svg");
                    await File.WriteAllTextAsync(svg, BenchChart.Render(report), cancellationToken);
                    Console.WriteLine($"report: {jsonPath}, chart: {svg}");
                }
                else if (result.GetValue(chart) is { } svg)
                {
                    await File.WriteAllTextAsync(svg, BenchChart.Render(report), cancellationToken);
                }

                return report.Modes.All(m => m.ScoresMatch) ? 0 : 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("arbor bench: interrupted; cluster stopped");
                return 130;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                await Console.Error.WriteLineAsync($"arbor bench: {e.Message}");
                return 1;
            }
        });
    }

    /// <summary>The headline ratios in one paragraph.</summary>
    public static string Summary(BenchReport report)
    {
        var s = report.Summary;
        static string R(double? ratio) => ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
        var text = $"vs untrimmed: bytes trimmed {R(s.TrimmedBytesRatio)}, trimmed+lz4 {R(s.TrimmedLz4BytesRatio)}, trimmed+zstd {R(s.TrimmedZstdBytesRatio)}, lz4 {R(s.Lz4BytesRatio)}, zstd {R(s.ZstdBytesRatio)}; root CPU trimmed {R(s.TrimmedRootCpuRatio)}, lz4 {R(s.Lz4RootCpuRatio)}; p99 trimmed {R(s.TrimmedP99Ratio)}";
        if (s.TrimmedMaxThroughputRatio is { } t)
        {
            text += $"; max throughput trimmed {R(t)}x";
        }

        return text + string.Create(CultureInfo.InvariantCulture, $"; score parity {s.ScoreParity:P1}");
    }
}
