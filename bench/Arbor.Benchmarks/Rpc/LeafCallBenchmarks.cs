using System.Net;
using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Arbor.Rpc.Server;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Benchmarks.Rpc;

/// <summary>
/// What the gRPC stack itself costs a root→leaf call on loopback, with no root and no leaf work
/// around it: an <see cref="RpcChannel"/> calling a Kestrel peer set up as Arbor's servers are
/// (<c>ListenRpc</c>, <c>AddArborGrpc</c>) whose handler answers a 300-score response without
/// looking at the request. One operation is <see cref="Calls"/> concurrent calls of
/// <see cref="Bytes"/> each over <see cref="Connections"/> HTTP/2 connections: the floor under the
/// root bench's call overhead for requests of those sizes (client and peer share the machine, as a
/// root and its leaves do in <c>arbor bench root</c>).
/// </summary>
public class LeafCallBenchmarks
{
    /// <summary>What either end makes of a non-empty message.</summary>
    private static readonly byte[] Received = [1];

    private static readonly Marshaller<byte[]> Raw = new(
        static (message, context) =>
        {
            context.SetPayloadLength(message.Length);
            var writer = context.GetBufferWriter();
            message.CopyTo(writer.GetSpan(message.Length));
            writer.Advance(message.Length);
            context.Complete();
        },
        // Neither end copies what it receives: the floor is the stack's, not a parse's.
        static context => context.PayloadAsReadOnlySequence().IsEmpty ? [] : Received!);

    private static readonly Method<byte[], byte[]> ScoreMethod = new(MethodType.Unary, "arbor.bench.NullPeer", "Score", Raw, Raw);

    /// <summary>A leaf's answer for 300 candidates and one output.</summary>
    private static readonly byte[] Answer = new LeafScoreResponse
    {
        Model = "m",
        Version = "1",
        RowCount = 300,
        Outputs = { "score" },
        Scores = { Enumerable.Repeat(0.5f, 300) },
    }.ToByteArray();

    private WebApplication _peer = null!;
    private RpcChannel _channel = null!;
    private byte[] _request = null!;
    private Task<byte[]>[] _calls = null!;

    /// <summary>Request bytes per call: a trimmed reference call (~190 KB), an untrimmed one (~660 KB), and a small one.</summary>
    [Params(65_536, 196_608, 655_360)]
    public int Bytes { get; set; }

    [Params(1, 4)]
    public int Calls { get; set; }

    [Params(1, 2)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var port = Arbor.Testing.LoopbackPort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenRpc(new IPEndPoint(IPAddress.Loopback, port), counters: new Arbor.Rpc.Accounting.ByteCounters("bench-peer")));
        builder.Services.AddArborGrpc();
        builder.Services.AddSingleton(new NullPeer());
        _peer = builder.Build();
        _peer.MapGrpcService<NullPeer>();
        _peer.StartAsync().GetAwaiter().GetResult();
        _channel = new RpcChannel($"http://127.0.0.1:{port}", new RpcChannelOptions { Connections = Connections, ByteCounters = new Arbor.Rpc.Accounting.ByteCounters("bench-client") });
        _request = new byte[Bytes];
        new Random(7).NextBytes(_request);
        _calls = new Task<byte[]>[Calls];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _channel.Dispose();
        _peer.StopAsync().GetAwaiter().GetResult();
        _peer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public async Task<int> Call()
    {
        for (var i = 0; i < _calls.Length; i++)
        {
            _calls[i] = _channel.UnaryAsync(ScoreMethod, _request);
        }

        var answered = 0;
        foreach (var call in _calls)
        {
            answered += (await call).Length;
        }

        return answered == _calls.Length ? answered : throw new InvalidOperationException($"{_calls.Length - answered} calls were answered empty");
    }

    /// <summary>The peer: answers every call with <see cref="Answer"/> (grpc-dotnet binds a virtual handler on the bound type, hence not sealed).</summary>
    [BindServiceMethod(typeof(NullPeer), nameof(BindService))]
    public class NullPeer
    {
        public static void BindService(ServiceBinderBase binder, NullPeer? peer) =>
            binder.AddMethod(ScoreMethod, peer is null ? null : peer.Score);

        // grpc-dotnet finds the handler by the method's name.
        public virtual Task<byte[]> Score(byte[] request, ServerCallContext context) => Task.FromResult(Answer);
    }
}
