using System.CommandLine;
using Arbor.Cli.Bench;
using Arbor.Cli.Demo;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor demo</c>: Arbor end to end in one command, with the trimming comparison table.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var duration = new Option<int>("--duration") { Description = "Seconds the demo may take, start-up included.", DefaultValueFactory = _ => 90 };
        var scenario = new Option<string>("--scenario") { Description = $"Workload: {string.Join(", ", BenchScenario.All.Select(s => s.Name))}.", DefaultValueFactory = _ => BenchScenario.Reference.Name };
        var rate = new Option<double?>("--rate") { Description = "Offered requests per second per mode (default: the scenario's)." };
        var workDir = new Option<string>("--work-dir") { Description = "Where configs, bundles, the feature store and the report are written.", DefaultValueFactory = _ => Path.Combine(".arbor", "demo") };
        var command = new Command("demo", "Generate the sample models and data, start a root per fan-out mode and two leaf partitions, drive a short workload and print bytes, latency, CPU and score parity per mode.") { duration, scenario, rate, workDir };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            try
            {
                return await DemoRunner.RunAsync(
                    BenchScenario.Get(result.GetValue(scenario)!),
                    TimeSpan.FromSeconds(result.GetValue(duration)),
                    result.GetValue(rate),
                    Path.GetFullPath(result.GetValue(workDir)!),
                    cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("arbor demo: interrupted; every process stopped");
                return 130;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"arbor demo: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
