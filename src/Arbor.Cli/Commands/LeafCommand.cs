using System.CommandLine;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Native;
using Arbor.Leaf.Service;
using Microsoft.Extensions.Logging;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor leaf --config FILE</c>: runs a leaf partition until Ctrl+C or SIGTERM, then drains.</summary>
public static class LeafCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config")
        {
            Description = "Partition configuration (JSON or YAML; see docs/leaf.md).",
            Required = true,
        };
        var drain = new DrainArguments();
        var command = new Command("leaf", "Run a leaf partition: load its TorchScript models and serve arbor.v1.Leaf over gRPC.") { config };
        drain.AddTo(command);
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            var path = result.GetValue(config)!.FullName;
            if (drain.Read(result, out var drainProblem) is not { } drainOptions)
            {
                await Console.Error.WriteLineAsync($"arbor leaf: {drainProblem}");
                return 2;
            }

            PartitionConfig partition;
            try
            {
                partition = PartitionConfigLoader.Load(path);
            }
            catch (PartitionConfigException e)
            {
                await Console.Error.WriteLineAsync($"arbor leaf: {e.Message}");
                return 2;
            }

            try
            {
                await using var server = await LeafServer.StartAsync(
                    partition,
                    logging => logging.SetMinimumLevel(LogLevel.Information),
                    cancellationToken: cancellationToken,
                    drain: drainOptions);
                var http = server.HttpAddress is { } h ? $", health on {h}healthz" : string.Empty;
                Console.WriteLine($"arbor leaf: partition '{partition.Partition}' serving gRPC on {server.GrpcAddress}{http}; ready: {server.Partition.IsReady}");
                await server.WaitForShutdownAsync(cancellationToken);
                return 0;
            }
            catch (TorchException e)
            {
                await Console.Error.WriteLineAsync($"arbor leaf: {e.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
        });
        return command;
    }
}
