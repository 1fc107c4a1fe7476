using System.Net;
using Arbor.Contracts.V1;
using Arbor.Rpc.Server;
using Arbor.Testing;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.FunctionalTests.Cluster;

/// <summary>An in-process leaf whose Score waits while held, then answers one score per row.</summary>
internal sealed class HoldingLeaf : IAsyncDisposable
{
    private readonly WebApplication _app;
    private TaskCompletionSource _gate = CompletedGate();
    private int _received;

    private HoldingLeaf(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    public int Received => Volatile.Read(ref _received);

    public static async Task<HoldingLeaf> StartAsync()
    {
        var port = LoopbackPort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenRpc(new IPEndPoint(IPAddress.Loopback, port)));
        builder.Services.AddArborGrpc();
        var holder = new Holder();
        builder.Services.AddSingleton(holder);
        var app = builder.Build();
        app.MapGrpcService<Service>();
        var leaf = new HoldingLeaf(app, $"http://127.0.0.1:{port}");
        holder.Leaf = leaf;
        await app.StartAsync();
        return leaf;
    }

    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }

    private async Task<LeafScoreResponse> ScoreAsync(LeafScoreRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _received);
        await _gate.Task.WaitAsync(context.CancellationToken);
        var response = new LeafScoreResponse { Model = request.Model, Version = "1", RowCount = request.RowCount };
        response.Outputs.Add("p");
        for (var row = 0; row < (int)request.RowCount; row++)
        {
            response.Scores.Add(row);
        }

        return response;
    }

    private sealed class Holder
    {
        public HoldingLeaf? Leaf { get; set; }
    }

    private sealed class Service(Holder holder) : Arbor.Contracts.V1.Leaf.LeafBase
    {
        public override Task<LeafScoreResponse> Score(LeafScoreRequest request, ServerCallContext context) => holder.Leaf!.ScoreAsync(request, context);
    }
}
