using Arbor.Contracts.V1;
using Arbor.Rpc.Server;
using Arbor.Rpc.Status;
using Microsoft.AspNetCore.Builder;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>
/// A hand-written arbor.v1.Leaf whose behaviour is chosen by the request's model name, so that
/// tests (and the Python interop client) can provoke each outcome.
/// </summary>
public sealed class TestLeafService
{
    /// <summary>The status message of the "fail" model: non-ASCII on purpose.</summary>
    public const string NonAsciiMessage = "modèle inconnu: «☃» 模型 % done";

    private readonly TaskCompletionSource<bool> _waitCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _waitStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes (true) when a "wait" call saw its cancellation token fire.</summary>
    public Task<bool> WaitCancelled => _waitCancelled.Task;

    /// <summary>Completes when a "wait" call started waiting.</summary>
    public Task WaitStarted => _waitStarted.Task;

    /// <summary>The last "wait" call's deadline as the handler saw it.</summary>
    public DateTimeOffset? LastDeadline { get; private set; }

    /// <summary>The last request the Score handler received.</summary>
    public LeafScoreRequest? LastScoreRequest { get; private set; }

    /// <summary>The peer of the last call.</summary>
    public string? LastPeer { get; private set; }

    /// <summary>Optional gate that "gate" calls wait on (for concurrency tests).</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int _gateWaiters;

    /// <summary>How many "gate" calls are waiting now.</summary>
    public int GateWaiters => Volatile.Read(ref _gateWaiters);

    public void Map(WebApplication app)
    {
        app.MapUnary<LeafScoreRequest, LeafScoreResponse>("arbor.v1.Leaf", "Score", LeafScoreRequest.Parser, ScoreAsync);
        app.MapUnary<ListModelsRequest, ListModelsResponse>("arbor.v1.Leaf", "ListModels", ListModelsRequest.Parser, (_, _) => ValueTask.FromResult(Models()));
    }

    public static ListModelsResponse Models() => new()
    {
        Partition = "homefeed",
        Models =
        {
            new ServedModel
            {
                Name = "homefeed_ctr",
                DefaultVersion = "7",
                Versions =
                {
                    new ServedVersion { Version = "6", State = VersionState.Available, Outputs = { "p_click" } },
                    new ServedVersion { Version = "7", State = VersionState.Available, Outputs = { "p_click", "p_save" } },
                },
            },
        },
    };

    /// <summary>The scores the echo model returns for a request: row + sum of the row's float features.</summary>
    public static LeafScoreResponse Echo(LeafScoreRequest request)
    {
        var response = new LeafScoreResponse
        {
            Model = request.Model,
            Version = string.IsNullOrEmpty(request.Version) ? "7" : request.Version,
            RowCount = request.RowCount,
            Outputs = { "p_click" },
            UnusedFeatures = (uint)request.Columns.Count,
            MissingFeatures = (uint)request.SharedColumns.Count,
        };
        for (var row = 0; row < request.RowCount; row++)
        {
            var score = (float)row;
            foreach (var column in request.Columns)
            {
                if (column.ValuesCase == FeatureColumn.ValuesOneofCase.Floats && row < column.Floats.Values.Count)
                {
                    score += column.Floats.Values[row];
                }
            }

            response.Scores.Add(score);
        }

        return response;
    }

    private async ValueTask<LeafScoreResponse> ScoreAsync(LeafScoreRequest request, RpcCallContext context)
    {
        LastScoreRequest = request;
        LastPeer = context.Peer;
        switch (request.Model)
        {
            case "fail":
                throw new RpcException(StatusCode.NotFound, NonAsciiMessage);
            case "boom":
                throw new InvalidOperationException("secret internal detail");
            case "wait":
                LastDeadline = context.Deadline;
                _waitStarted.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    _waitCancelled.TrySetResult(true);
                    throw;
                }

                return Echo(request);
            case "gate":
                Interlocked.Increment(ref _gateWaiters);
                await Gate.Task.WaitAsync(context.CancellationToken);
                return Echo(request);
            case "big":
                var big = Echo(request);
                big.Scores.Add(new float[request.RowCount * 64]);
                return big;
            default:
                return Echo(request);
        }
    }
}
