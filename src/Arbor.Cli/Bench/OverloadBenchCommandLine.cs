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
    private readonly Option<string[]> _variant = new("--variant") { Description = "overload: one more root with environment variables, NAME=KEY:VALUE,KEY:VALUE (repeatable); every load level goes to each root in turn." };
    private readonly Option<int> _rounds = new("--rounds") { Description = "overload: rounds of every load level over all roots.", DefaultValueFactory = _ => 1 };

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
        bench.Options.Add(line._variant);
        bench.Options.Add(line._rounds);
        return line;
    }

    public async Task<int> RunAsync(ParseResult result, string workDirectory, int seed, string? json, CancellationToken cancellationToken)
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
            if (factors.Count == 0 || factors.Any(f => !(f > 0)) || result.GetValue(_phaseSeconds) <= 0 || result.GetValue(_settleSeconds) < 0 || result.GetValue(_rounds) < 1)
            {
                throw new ArgumentException("--factors must be positive numbers, --phase-seconds and --rounds positive, --settle-seconds not negative");
            }

            var variants = (result.GetValue(_variant) ?? []).Select(RootBuild.ParseVariant).ToList();
            if (variants.Select(v => v.Name).Append("current").Distinct(StringComparer.Ordinal).Count() != variants.Count + 1)
            {
                throw new ArgumentException("--variant names must differ from each other and from 'current'");
            }

            options = new OverloadBenchOptions
            {
                Factors = factors,
                PhaseDuration = TimeSpan.FromSeconds(result.GetValue(_phaseSeconds)),
                Settle = TimeSpan.FromSeconds(result.GetValue(_settleSeconds)),
                RootEnvironment = environment,
                Variants = variants,
                Rounds = result.GetValue(_rounds),
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
            if (json is not null)
            {
                await File.WriteAllTextAsync(json, OverloadBench.ToJson(report), cancellationToken);
            }

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
