using System.CommandLine;

namespace Arbor.Cli.Bench;

/// <summary>The options and action of <c>arbor bench --scenario faults</c> (<see cref="FaultBench"/>).</summary>
public sealed class FaultBenchCommandLine
{
    private readonly Option<double> _faultSeconds = new("--fault-seconds") { Description = "faults: seconds of each window (before a fault, the fault, after its repair).", DefaultValueFactory = _ => 3 };

    private FaultBenchCommandLine()
    {
    }

    public static FaultBenchCommandLine AddOptions(Command bench)
    {
        ArgumentNullException.ThrowIfNull(bench);
        var line = new FaultBenchCommandLine();
        bench.Options.Add(line._faultSeconds);
        return line;
    }

    public async Task<int> RunAsync(ParseResult result, string workDirectory, int seed, string? json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        var seconds = result.GetValue(_faultSeconds);
        if (!(seconds > 0))
        {
            await Console.Error.WriteLineAsync("arbor bench: --fault-seconds must be positive");
            return 2;
        }

        var options = new FaultBenchOptions { FaultDuration = TimeSpan.FromSeconds(seconds), WorkDirectory = Path.Combine(workDirectory, FaultBench.Scenario), Seed = seed };
        try
        {
            var report = await FaultBench.RunAsync(options, BenchProgress.Console(), cancellationToken);
            Console.WriteLine();
            Console.Write(FaultBench.Format(report));
            if (json is not null)
            {
                await File.WriteAllTextAsync(json, FaultBench.ToJson(report), cancellationToken);
            }

            return report.Faults.All(f => f.Skipped is not null || f.ProcessesAlive == f.Processes) ? 0 : 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("arbor bench: interrupted; processes stopped");
            return 130;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            await Console.Error.WriteLineAsync($"arbor bench: {e.Message}");
            return 1;
        }
    }
}
