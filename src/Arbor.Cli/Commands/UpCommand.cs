using System.CommandLine;
using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.Cli.Demo;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor up</c>: the sample system (one root, one leaf per partition) served until Ctrl+C.</summary>
public static class UpCommand
{
    public static Command Create()
    {
        var grpc = new Option<int>("--grpc-port") { Description = "The root's gRPC port on 127.0.0.1.", DefaultValueFactory = _ => 7100 };
        var http = new Option<int>("--http-port") { Description = "The root's HTTP port (JSON scoring) on 127.0.0.1.", DefaultValueFactory = _ => 7180 };
        var admin = new Option<int>("--admin-port") { Description = "The root's admin port (health, admin, metrics) on 127.0.0.1.", DefaultValueFactory = _ => 7190 };
        var trimming = new Option<bool>("--no-trim") { Description = "Fan out untrimmed (the union of features) instead of trimmed." };
        var compression = new Option<string>("--compression") { Description = "Root→leaf compression: identity, lz4, zstd or gzip.", DefaultValueFactory = _ => "identity" };
        var workDir = new Option<string>("--work-dir") { Description = "Where configs, bundles and the feature store are written.", DefaultValueFactory = _ => Path.Combine(".arbor", "up") };
        var command = new Command("up", "Serve the sample system (a root and two leaf partitions as separate processes) until Ctrl+C, and print example requests.") { grpc, http, admin, trimming, compression, workDir };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            var mode = new BenchMode(result.GetValue(trimming) ? "untrimmed" : "trimmed", !result.GetValue(trimming), result.GetValue(compression)!);
            var progress = BenchProgress.Console();
            try
            {
                var repository = RepositoryLocator.Find();
                var work = Path.GetFullPath(result.GetValue(workDir)!);
                var artefacts = await SampleArtefacts.EnsureAsync(repository, work, progress.Step, cancellationToken);
                await using var cluster = await ServingCluster.StartAsync(
                    artefacts, [mode], LeafLayout.Shared, ClusterPlacement.Loopback, work, progress.Step, cancellationToken,
                    new ServingCluster.RootPorts(result.GetValue(grpc), result.GetValue(http), result.GetValue(admin)), ServingCluster.InteractiveLimits);
                var root = cluster.Roots[0];
                Console.WriteLine();
                Console.WriteLine($"arbor up: root ({mode.Name}, compression {mode.Compression}) on {root.GrpcAddress} (gRPC), {root.HttpAddress} (JSON) and {root.AdminAddress} (admin)");
                foreach (var leaf in cluster.Leaves)
                {
                    Console.WriteLine($"          leaf '{leaf.Partition}' on {leaf.GrpcAddress} (health {leaf.HttpAddress}readyz)");
                }

                Console.WriteLine($"          logs of every process in {cluster.LogDirectory}");

                Console.WriteLine();
                Console.WriteLine(ExampleRequests.Format(root.GrpcAddress, root.HttpAddress, root.AdminAddress));
                Console.WriteLine("Ctrl+C stops everything.");
                await WaitForStopAsync(cluster, cancellationToken);
                Console.Error.WriteLine("arbor up: stopping");
                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                await Console.Error.WriteLineAsync($"arbor up: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Until Ctrl+C; a child that dies is shown and restarted (the others keep serving).</summary>
    private static Task WaitForStopAsync(ServingCluster cluster, CancellationToken cancellationToken)
    {
        var processes = cluster.Roots.Select(r => r.Process).Concat(cluster.Leaves.Select(l => l.Process)).ToList();
        var supervisor = new ProcessSupervisor(TimeProvider.System, message => Console.Error.WriteLine($"arbor up: {message}"));
        return supervisor.RunAsync(processes, cancellationToken);
    }
}
