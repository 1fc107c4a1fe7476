using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Marshalling;
using Arbor.Rpc.Server;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Cli.Commands;

/// <summary>
/// <c>arbor bench --scenario NAME</c>: the network benchmark (see <see cref="Bench.NetworkBench"/>).
/// <c>arbor bench rpc</c>: load on the RPC layer alone. An in-process Kestrel server on loopback
/// serves arbor.v1.Leaf/Score (it answers one score per row without running a model); an
/// <see cref="RpcChannel"/> sends pre-encoded feature requests of the chosen size from
/// <c>--concurrency</c> workers for <c>--duration</c> seconds. Prints calls/s, latency
/// percentiles, socket bytes per call, and allocated bytes per call (whole process: client and
/// server together, an upper bound for the server path).
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmark the Feature Trimmer end to end: bytes, CPU, latency and score parity per fan-out mode (docs/benchmarks.md); subcommands benchmark components.");
        Bench.NetworkBenchCommandLine.AddTo(bench);
        bench.Subcommands.Add(CreateRpc());
        bench.Subcommands.Add(Bench.RootBenchCommandLine.Create());
        bench.Subcommands.Add(Bench.NullLeaf.Create());
        bench.Subcommands.Add(Bench.ClientFeaturesBench.Create());
        bench.Subcommands.Add(Bench.RollingRestartBench.Create());
        return bench;
    }

    private static Command CreateRpc()
    {
        var size = new Option<int>("--size") { Description = "Request message size in bytes (feature columns).", DefaultValueFactory = _ => 2048 };
        var concurrency = new Option<int>("--concurrency") { Description = "Calls in flight at once.", DefaultValueFactory = _ => 64 };
        var duration = new Option<double>("--duration") { Description = "Measured seconds.", DefaultValueFactory = _ => 5 };
        var warmup = new Option<double>("--warmup") { Description = "Unmeasured warm-up seconds.", DefaultValueFactory = _ => 1 };
        var encoding = new Option<string>("--encoding") { Description = "Request compression: identity, gzip, lz4 or zstd.", DefaultValueFactory = _ => "identity" };
        var connections = new Option<int>("--connections") { Description = "HTTP/2 connections the client's calls take in turn (fan_out.connections_per_replica).", DefaultValueFactory = _ => 1 };
        var receiveBlock = new Option<int>("--receive-block") { Description = "Bytes per block of the server's receive memory (RpcServerOptions.ReceiveBlockSize); 0: Kestrel's own 4 KiB blocks.", DefaultValueFactory = _ => new RpcServerOptions().ReceiveBlockSize };
        var transport = new Option<string>("--transport") { Description = "grpc: Arbor's client and server (grpc-dotnet, Kestrel, HTTP/2). raw: the same messages over plain TCP sockets, a connection per caller, each message behind a 4-byte length: the floor under the gRPC stack.", DefaultValueFactory = _ => "grpc" };
        transport.AcceptOnlyFromAmong("grpc", "raw");
        var command = new Command("rpc", "Unary call throughput and latency of Arbor's client against Arbor's server on loopback.")
        {
            size, concurrency, duration, warmup, encoding, connections, transport, receiveBlock,
        };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            var settings = new LoadSettings(result.GetValue(size), result.GetValue(concurrency), result.GetValue(duration), result.GetValue(warmup), result.GetValue(encoding)!, result.GetValue(connections), result.GetValue(receiveBlock));
            if (settings.Size < 16 || settings.Concurrency < 1 || settings.Duration <= 0 || settings.Warmup < 0 || settings.Connections is < 1 or > RpcChannelOptions.MaxConnections
                || settings.ReceiveBlock is not 0 and (< RpcServerOptions.MinReceiveBlockSize or > RpcServerOptions.MaxReceiveBlockSize))
            {
                Console.Error.WriteLine($"bench rpc: --size must be >= 16, --concurrency >= 1, --duration > 0, --warmup >= 0, --connections from 1 to {RpcChannelOptions.MaxConnections}, --receive-block 0 or from {RpcServerOptions.MinReceiveBlockSize} to {RpcServerOptions.MaxReceiveBlockSize}.");
                return 2;
            }

            if (result.GetValue(transport) == "raw")
            {
                if (settings.Encoding != "identity" || result.GetResult(connections) is { Implicit: false } || result.GetResult(receiveBlock) is { Implicit: false })
                {
                    Console.Error.WriteLine("bench rpc: --transport raw sends identity messages on a connection per caller; it takes no --encoding, --connections or --receive-block.");
                    return 2;
                }

                await RunRawAsync(settings, cancellationToken);
                return 0;
            }

            await RunAsync(settings, cancellationToken);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddArborGrpc(o => o.ReceiveBlockSize = settings.ReceiveBlock);
        // The root bench's null leaf: it reads the request's header fields and skips its columns, so
        // that the bench measures the RPC path alone, not a decoding of the columns.
        builder.Services.AddSingleton(new Bench.NullLeaf.NullLeafService(new Dictionary<string, string>(StringComparer.Ordinal) { [BenchModel] = "7" }));
        var serverCounters = new ByteCounters("bench-server");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenRpc(new IPEndPoint(IPAddress.Loopback, 0), counters: serverCounters));
        await using var app = builder.Build();
        app.MapGrpcService<Bench.NullLeaf.NullLeafService>();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();

        var clientCounters = new ByteCounters("bench-client");
        using var channel = new RpcChannel(address, new RpcChannelOptions { ByteCounters = clientCounters, Connections = settings.Connections });
        var request = RequestOfSize(settings.Size);
        var payload = new BytesPayload(request.ToByteArray());
        var options = new RpcCallOptions { Encoding = settings.Encoding, Timeout = TimeSpan.FromSeconds(30) };
        var probe = await channel.UnaryAsync(ScoreMethod, payload, options, cancellationToken);

        if (settings.Warmup > 0)
        {
            await RunWorkersAsync(channel, payload, options, settings.Concurrency, TimeSpan.FromSeconds(settings.Warmup), cancellationToken);
        }

        var wireBefore = clientCounters.Snapshot();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gen0Before = GC.CollectionCount(0);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var (latencies, errors, elapsed) = await RunWorkersAsync(channel, payload, options, settings.Concurrency, TimeSpan.FromSeconds(settings.Duration), cancellationToken);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var gen0 = GC.CollectionCount(0) - gen0Before;
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        var wire = clientCounters.Snapshot() - wireBefore;
        await app.StopAsync(CancellationToken.None);

        var calls = latencies.Length;
        Array.Sort(latencies);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"rpc loopback: request {request.CalculateSize():N0} B ({request.RowCount} rows), response {probe.CalculateSize():N0} B, concurrency {settings.Concurrency}, connections {settings.Connections}, encoding {settings.Encoding}, receive block {(settings.ReceiveBlock == 0 ? "Kestrel's 4 KiB" : settings.ReceiveBlock.ToString("N0", inv) + " B")}, {elapsed.TotalSeconds:0.0} s"));
        Console.WriteLine(string.Create(inv, $"calls: {calls:N0} ok, {errors:N0} failed; {calls / elapsed.TotalSeconds:N0} calls/s"));
        if (calls > 0)
        {
            Console.WriteLine(string.Create(inv, $"latency ms: p50 {Percentile(latencies, 0.50):0.000}  p90 {Percentile(latencies, 0.90):0.000}  p99 {Percentile(latencies, 0.99):0.000}  max {latencies[^1]:0.000}"));
            Console.WriteLine(string.Create(inv, $"wire bytes per call (after HTTP/2 framing): sent {wire.BytesSent / (double)calls:N0}, received {wire.BytesReceived / (double)calls:N0}; connections {clientCounters.Snapshot().ConnectionsOpened}"));
            Console.WriteLine(string.Create(inv, $"allocated per call (client + server, whole process): {allocated / (double)calls:N0} B; gen0 collections {gen0}"));
            Console.WriteLine(string.Create(inv, $"process CPU per call (client + server): {cpu.TotalMicroseconds / calls:0.0} µs"));
        }
    }

    private static async Task RunRawAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        await using var floor = Bench.RawSocketFloor.Start();
        var request = RequestOfSize(settings.Size);
        var message = request.ToByteArray();
        if (settings.Warmup > 0)
        {
            await floor.RunAsync(message, settings.Concurrency, TimeSpan.FromSeconds(settings.Warmup), cancellationToken);
        }

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var (latencies, elapsed) = await floor.RunAsync(message, settings.Concurrency, TimeSpan.FromSeconds(settings.Duration), cancellationToken);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;

        var calls = latencies.Length;
        Array.Sort(latencies);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"raw tcp loopback: request {message.Length:N0} B ({request.RowCount} rows) behind a 4-byte length, concurrency {settings.Concurrency}, a connection per caller, {elapsed.TotalSeconds:0.0} s"));
        Console.WriteLine(string.Create(inv, $"calls: {calls:N0} ok; {calls / elapsed.TotalSeconds:N0} calls/s"));
        if (calls > 0)
        {
            Console.WriteLine(string.Create(inv, $"latency ms: p50 {Percentile(latencies, 0.50):0.000}  p90 {Percentile(latencies, 0.90):0.000}  p99 {Percentile(latencies, 0.99):0.000}  max {latencies[^1]:0.000}"));
            Console.WriteLine(string.Create(inv, $"allocated per call (client + server, whole process): {allocated / (double)calls:N0} B"));
            Console.WriteLine(string.Create(inv, $"process CPU per call (client + server): {cpu.TotalMicroseconds / calls:0.0} µs"));
        }
    }

    private static async Task<(double[] LatenciesMs, long Errors, TimeSpan Elapsed)> RunWorkersAsync(
        RpcChannel channel, BytesPayload payload, RpcCallOptions options, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perWorker = new List<double>[concurrency];
        long errors = 0;
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            var latencies = perWorker[w] = new List<double>(4096);
            workers[w] = Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < stopAt && !cancellationToken.IsCancellationRequested)
                {
                    var callStarted = Stopwatch.GetTimestamp();
                    try
                    {
                        await channel.UnaryAsync(ScoreMethod, payload, options, cancellationToken);
                        latencies.Add(Stopwatch.GetElapsedTime(callStarted).TotalMilliseconds);
                    }
                    catch (RpcException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }, cancellationToken);
        }

        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return ([.. perWorker.SelectMany(l => l)], errors, elapsed);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    // A realistic request: per row 8 floats, an int64 id and a 64-d embedding; rows chosen to fit the size.
    private static LeafScoreRequest RequestOfSize(int bytes)
    {
        for (var rows = Math.Max(1, bytes / 300); ; rows--)
        {
            var request = Request(rows);
            if (request.CalculateSize() <= bytes || rows == 1)
            {
                return request;
            }
        }
    }

    private static LeafScoreRequest Request(int rows)
    {
        var random = new Random(20260501);
        var request = new LeafScoreRequest { Model = BenchModel, RowCount = (uint)rows, RequestId = "bench" };
        for (var f = 0; f < 8; f++)
        {
            var values = new FloatColumn();
            for (var r = 0; r < rows; r++)
            {
                values.Values.Add(random.Next(3) == 0 ? 0f : random.NextSingle());
            }

            request.Columns.Add(new FeatureColumn { Name = $"pin_dense_{f}", Floats = values });
        }

        var ids = new Int64Column();
        var embeddings = new FloatVectorColumn { Dim = 64 };
        for (var r = 0; r < rows; r++)
        {
            ids.Values.Add(7_000_000_000L + random.Next(0, 2_000_000));
            for (var d = 0; d < 64; d++)
            {
                embeddings.Values.Add((random.NextSingle() - 0.5f) * 0.8f);
            }
        }

        request.Columns.Add(new FeatureColumn { Name = "pin_id", Int64S = ids });
        request.Columns.Add(new FeatureColumn { Name = "pin_embedding_v3", FloatVectors = embeddings });
        return request;
    }

    private const string BenchModel = "homefeed_ctr";

    private static readonly Method<BytesPayload, LeafScoreResponse> ScoreMethod =
        PayloadMarshaller.UnaryMethod<BytesPayload, LeafScoreResponse>("arbor.v1.Leaf", "Score", LeafScoreResponse.Parser);

    private sealed record LoadSettings(int Size, int Concurrency, double Duration, double Warmup, string Encoding, int Connections, int ReceiveBlock);
}
