using System.Collections.Concurrent;
using System.Net;
using Arbor.Contracts.V1;
using Arbor.Rpc.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// An in-process leaf on loopback that scores with a transparent rule: per row, the sum of every
/// value of the features the model uses (floats, vector elements, list lengths), read from per-row
/// or shared columns. Features it does not use are ignored, exactly as a real signature-driven leaf
/// ignores them, so trimmed and untrimmed requests must score the same.
/// </summary>
internal sealed class FakeLeaf : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IReadOnlyDictionary<string, string[]> _uses;
    private TaskCompletionSource? _hold;
    private TaskCompletionSource? _holdUnbatched;
    private int _unionRefusals;

    private FakeLeaf(WebApplication app, IReadOnlyDictionary<string, string[]> uses, string address, Arbor.Rpc.Accounting.ByteCounters counters)
    {
        _app = app;
        _uses = uses;
        Address = address;
        Counters = counters;
    }

    public string Address { get; }

    /// <summary>The leaf's socket byte counters (its connections).</summary>
    public Arbor.Rpc.Accounting.ByteCounters Counters { get; }

    public int Port => new Uri(Address).Port;

    /// <summary>The thumbprints of the client certificates calls came with (mutual TLS).</summary>
    public ConcurrentDictionary<string, byte> ClientCertificates { get; } = new(StringComparer.Ordinal);

    /// <summary>Every request received, in arrival order; a union call's models as the Score requests they stand for.</summary>
    public ConcurrentQueue<LeafScoreRequest> Requests { get; } = new();

    /// <summary>Every response answered, in the order they were made (a union call's models' too).</summary>
    public ConcurrentQueue<LeafScoreResponse> Responses { get; } = new();

    /// <summary>Every union call received, in arrival order.</summary>
    public ConcurrentQueue<LeafUnionScoreRequest> UnionRequests { get; } = new();

    /// <summary>When set, ScoreUnion is answered UNIMPLEMENTED (a leaf from before it).</summary>
    public bool WithoutUnion { get; set; }

    /// <summary>How many ScoreUnion calls were answered UNIMPLEMENTED (<see cref="WithoutUnion"/>).</summary>
    public int UnionRefusals => Volatile.Read(ref _unionRefusals);

    /// <summary>Makes every later call wait until released or cancelled (a slow leaf).</summary>
    public void Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Makes every later unbatched call (a shadow pair's) wait until released or cancelled.</summary>
    public void HoldUnbatched() => _holdUnbatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release()
    {
        _hold?.TrySetResult();
        _holdUnbatched?.TrySetResult();
    }

    /// <summary>When set, every Score call is answered with this status (a leaf that does not serve yet).</summary>
    public StatusCode? AnswerWith { get; set; }

    /// <summary>When set, every Score call's stream is reset (HTTP/2 RST_STREAM), as a connection that breaks mid-call.</summary>
    public bool ResetStreams { get; set; }

    /// <summary>The leaf's own time its answers say (<c>leaf_time_us</c>); 0: they say nothing, as from an older leaf.</summary>
    public uint LeafTimeUs { get; set; }

    /// <param name="port">The loopback port (a restarted replica comes back on its old one); a free one when null.</param>
    /// <param name="tls">Serve over TLS with these credentials (mutual TLS when they have a CA bundle).</param>
    public static async Task<FakeLeaf> StartAsync(IReadOnlyDictionary<string, string[]> uses, int? port = null, Arbor.Rpc.Tls.TlsCredentialSource? tls = null)
    {
        port ??= Arbor.Testing.LoopbackPort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var counters = new Arbor.Rpc.Accounting.ByteCounters($"fake-leaf-{port}");
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (tls is null)
            {
                k.ListenRpc(new IPEndPoint(IPAddress.Loopback, port.Value), counters: counters);
            }
            else
            {
                k.ListenRpc(new IPEndPoint(IPAddress.Loopback, port.Value), tls, counters);
            }
        });
        builder.Services.AddArborGrpc().AddCheck("fake-leaf", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy(), tags: [RpcServiceCollectionExtensions.ReadinessTag]);
        var holder = new Holder();
        builder.Services.AddSingleton(holder);
        var app = builder.Build();
        var leaf = new FakeLeaf(app, uses, $"{(tls is null ? "http" : "https")}://127.0.0.1:{port}", counters);
        holder.Leaf = leaf;
        app.Use((context, next) =>
        {
            if (context.Connection.ClientCertificate is { } client)
            {
                leaf.ClientCertificates.TryAdd(client.Thumbprint, 0);
            }

            return next(context);
        });
        app.MapGrpcService<Service>();
        app.MapArborGrpcStandardServices();
        await app.StartAsync();
        return leaf;
    }

    /// <summary>What <paramref name="row"/> of the column adds to a score: 0 for a missing row.</summary>
    public static float Contribution(FeatureColumn column, int row)
    {
        var missing = column.Missing.Span;
        if (IsMissing(missing, row))
        {
            return 0;
        }

        // Without missing_omitted every row holds a value (a placeholder when missing).
        var index = row;
        for (var earlier = 0; column.MissingOmitted && earlier < row; earlier++)
        {
            index -= IsMissing(missing, earlier) ? 1 : 0;
        }

        return ValueAt(column, index);
    }

    private static bool IsMissing(ReadOnlySpan<byte> missing, int row) =>
        (row >> 3) < missing.Length && (missing[row >> 3] & (1 << (row & 7))) != 0;

    private static float ValueAt(FeatureColumn column, int index) => column.ValuesCase switch
    {
        FeatureColumn.ValuesOneofCase.Floats => column.Floats.Values[index],
        FeatureColumn.ValuesOneofCase.Int64S => column.Int64S.Values[index],
        FeatureColumn.ValuesOneofCase.FloatVectors => column.FloatVectors.Values.Skip(index * (int)column.FloatVectors.Dim).Take((int)column.FloatVectors.Dim).Sum(),
        FeatureColumn.ValuesOneofCase.Int64Lists => column.Int64Lists.Lengths[index],
        _ => 0,
    };

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<LeafScoreResponse> ScoreAsync(LeafScoreRequest request, ServerCallContext context)
    {
        Requests.Enqueue(request);
        if (_hold is { } hold)
        {
            await hold.Task.WaitAsync(context.CancellationToken);
        }

        if (request.Unbatched && _holdUnbatched is { } holdUnbatched)
        {
            await holdUnbatched.Task.WaitAsync(context.CancellationToken);
        }

        if (ResetStreams)
        {
            context.GetHttpContext().Abort();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        if (AnswerWith is { } answer)
        {
            throw new RpcException(new Grpc.Core.Status(answer, $"model '{request.Model}' has no available version yet"));
        }

        if (!_uses.TryGetValue(request.Model, out var features))
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"model '{request.Model}' is not served"));
        }

        var response = new LeafScoreResponse { Model = request.Model, Version = "1", RowCount = request.RowCount };
        response.Outputs.Add("p");
        for (var row = 0; row < (int)request.RowCount; row++)
        {
            var score = 0f;
            foreach (var name in features)
            {
                var column = request.Columns.FirstOrDefault(c => c.Name == name);
                if (column is not null)
                {
                    score += Contribution(column, row);
                }
                else if (request.SharedColumns.FirstOrDefault(c => c.Name == name) is { } shared)
                {
                    score += Contribution(shared, 0);
                }
            }

            response.Scores.Add(score);
        }

        Responses.Enqueue(response);
        return response;
    }

    /// <summary>Each model of the union call scored as its own Score call, on the columns its entry names; its failure is its result.</summary>
    private async Task<LeafUnionScoreResponse> ScoreUnionAsync(LeafUnionScoreRequest request, ServerCallContext context)
    {
        if (WithoutUnion)
        {
            Interlocked.Increment(ref _unionRefusals);
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unimplemented, "Service is unimplemented."));
        }

        UnionRequests.Enqueue(request);
        var response = new LeafUnionScoreResponse();
        foreach (var model in request.Models)
        {
            var single = new LeafScoreRequest { Model = model.Model, Version = model.Version, RowCount = request.RowCount, RequestId = request.RequestId, TrimmedFor = model.TrimmedFor, Unbatched = request.Unbatched };
            single.Columns.AddRange(model.Columns.Select(i => request.Columns[(int)i]));
            single.SharedColumns.AddRange(model.SharedColumns.Select(i => request.SharedColumns[(int)i]));
            try
            {
                response.Results.Add(new LeafUnionResult { Response = await ScoreAsync(single, context) });
            }
            catch (RpcException e)
            {
                response.Results.Add(new LeafUnionResult { Status = new Contracts.V1.Status { Code = (int)e.StatusCode, Message = e.Status.Detail } });
            }
        }

        return response;
    }

    private sealed class Holder
    {
        public FakeLeaf? Leaf { get; set; }
    }

    private sealed class Service(Holder holder) : Leaf.LeafBase
    {
        public override async Task<LeafScoreResponse> Score(LeafScoreRequest request, ServerCallContext context)
        {
            var response = await holder.Leaf!.ScoreAsync(request, context);
            response.LeafTimeUs = holder.Leaf.LeafTimeUs;
            return response;
        }

        public override async Task<LeafUnionScoreResponse> ScoreUnion(LeafUnionScoreRequest request, ServerCallContext context)
        {
            var response = await holder.Leaf!.ScoreUnionAsync(request, context);
            response.LeafTimeUs = holder.Leaf.LeafTimeUs;
            return response;
        }
    }
}
