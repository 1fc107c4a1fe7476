using System.CommandLine;
using Arbor.Cli.Bench;

namespace Arbor.Cli.Commands;

/// <summary>
/// <c>arbor bench</c>: the network benchmark (<c>--scenario NAME</c>: trimmed vs untrimmed vs
/// compression, interleaved, or on a shaped link) and, as subcommands, component benchmarks.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmark the Feature Trimmer end to end: bytes, CPU, latency and score parity per fan-out mode (docs/benchmarks.md).");
        NetworkBenchCommandLine.AddTo(command);
        return command;
    }
}
