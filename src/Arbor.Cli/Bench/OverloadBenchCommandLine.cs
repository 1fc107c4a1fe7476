using System.CommandLine;
using System.Globalization;

namespace Arbor.Cli.Bench;

/// <summary>The options and action of <c>arbor bench --scenario overload</c> (<see cref="OverloadBench"/>).</summary>
public sealed class OverloadBenchCommandLine
{
    public const string Scenario = "overload";

    private readonly Option<string> _factors = new("--factors") { Description = "overload: load levels as multiples of the sustainable rate.", DefaultValueFactory = _ => "1,2,5" };
    private readonly Option<int> _phaseSeconds = new("--phase-seconds") { Description = "overload: seconds per load level.", DefaultValueFactory = _ => 20 };
    private readonly Option<int> _settleSeconds = new("--settle-seconds") { Description = "overload: seconds after the load before the root's memory is read again.", DefaultValueFactory = _ => 60 };
    private readonly Option<string[]> _rootEnv = new("--root-env") { Description = "overload: KEY=VALUE for the root process (GC settings), repeatable.", AllowMultipleArgumentsPerToken = false };

    private OverloadBenchCommandLine()
    {
    }

    public static OverloadBenchCommandLine AddOptions(Command bench)
    {
        ArgumentNullException.ThrowIfNull(bench);
        var line = new OverloadBenchCommandLine();
        bench.Options.Add(line._factors);
        bench.Options.Add(line._phaseSeconds);
        bench.Options.Add(line._settleSeconds);
        bench.Options.Add(line._rootEnv);
        return line;
    }

    public async Task<int> RunAsync(ParseResult result, string workDirectory, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        OverloadBenchOptions options;
        try
        {
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in result.GetValue(_rootEnv) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new ArgumentException($"--root-env '{pair}' is not KEY=VALUE");
                }

                environment[pair[..equals]] = pair[(equals + 1)..];
            }

            var factors = result.GetValue(_factors)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToList();
            if (factors.Count == 0 || factors.Any(f => !(f > 0)) || result.GetValue(_phaseSeconds) <= 0 || result.GetValue(_settleSeconds) < 0)
            {
                throw new ArgumentException("--factors must be positive numbers, --phase-seconds positive, --settle-seconds not negative");
            }

            options = new OverloadBenchOptions
            {
                Factors = factors,
                PhaseDuration = TimeSpan.FromSeconds(result.GetValue(_phaseSeconds)),
                Settle = TimeSpan.FromSeconds(result.GetValue(_settleSeconds)),
                RootEnvironment = environment,
                WorkDirectory = workDirectory,
                Seed = seed,
            };
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"arbor bench: --factors: {e.Message}");
            return 2;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"arbor bench: {e.Message}");
            return 2;
        }

        try
        {
            var report = await OverloadBench.RunAsync(options, BenchProgress.Console(), cancellationToken);
            Console.WriteLine();
            Console.Write(OverloadBench.Format(report));
            return 0;
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
    }
}
