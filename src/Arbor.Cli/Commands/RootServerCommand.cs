using System.CommandLine;
using System.Net;
using Arbor.Root.Configuration;
using Arbor.Root.Hosting;
using Arbor.Signatures.Validation;
using Microsoft.Extensions.Hosting;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor root --config FILE</c>: runs a root until Ctrl+C or SIGTERM, then drains.</summary>
public static class RootServerCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config")
        {
            Description = "Root configuration (routing, fan-out, feature store, registry, bundles; see docs/root.md).",
            Required = true,
        };
        var grpc = new Option<string>("--grpc")
        {
            Description = "gRPC (HTTP/2) listen address host:port.",
            DefaultValueFactory = _ => "127.0.0.1:7100",
        };
        var http = new Option<string>("--http")
        {
            Description = "Public HTTP/1.1 listen address host:port (JSON scoring only).",
            DefaultValueFactory = _ => "127.0.0.1:7180",
        };
        var admin = new Option<string>("--admin")
        {
            Description = "Admin HTTP/1.1 listen address host:port (health, /admin/*, metrics); keep it on loopback or a private network.",
            DefaultValueFactory = _ => "127.0.0.1:7190",
        };
        var command = new Command("root", "Run a root: fetch features, trim, fan out to leaves, gather scores.") { config, grpc, http, admin };
        var drain = new DrainArguments();
        drain.AddTo(command);
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            if (!IPEndPoint.TryParse(result.GetValue(grpc)!, out var grpcEndpoint) || !IPEndPoint.TryParse(result.GetValue(http)!, out var httpEndpoint)
                || !IPEndPoint.TryParse(result.GetValue(admin)!, out var adminEndpoint))
            {
                await Console.Error.WriteLineAsync("arbor root: --grpc, --http and --admin take host:port with an IP address (e.g. 127.0.0.1:7100)");
                return 2;
            }

            if (drain.Read(result, out var drainProblem) is not { } drainOptions)
            {
                await Console.Error.WriteLineAsync($"arbor root: {drainProblem}");
                return 2;
            }

            try
            {
                var app = RootHost.Build(new RootHostOptions
                {
                    ConfigPath = result.GetValue(config)!.FullName,
                    GrpcEndpoint = grpcEndpoint,
                    HttpEndpoint = httpEndpoint,
                    AdminEndpoint = adminEndpoint,
                    Drain = drainOptions,
                });
                await app.StartAsync(cancellationToken);
                Console.WriteLine($"arbor root: serving arbor.v1.Root/Score on http://{grpcEndpoint} (gRPC), JSON on http://{httpEndpoint}, admin on http://{adminEndpoint}");

                // SIGTERM cancels the token: the host drains (unready, delay, calls finish, GOAWAY) and stops.
                await app.WaitForShutdownAsync(cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is RootConfigException or ArtefactException)
            {
                await Console.Error.WriteLineAsync($"arbor root: {e.Message}");
                return 2;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
        });
        return command;
    }
}
