using Arbor.Contracts.V1;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>
/// arbor.v1.Leaf on the generated grpc-dotnet base class, whose behaviour is chosen by the
/// request's model name so that tests (and the Python interop client) can provoke each outcome:
/// <list type="bullet">
/// <item><c>fail</c>: NOT_FOUND with a non-ASCII message;</item>
/// <item><c>missing-…</c>: NOT_FOUND echoing the whole model name (a huge name makes a huge message);</item>
/// <item><c>boom</c>: a plain exception whose text must never reach the client;</item>
/// <item><c>wait</c>: waits until the call is cancelled (deadline or client);</item>
/// <item><c>gate</c>: waits for <see cref="Gate"/>;</item>
/// <item><c>big</c>: the echo plus <c>row_count * 64</c> zero scores (a large, very compressible response);</item>
/// <item>anything else: the echo (<see cref="Echo"/>).</item>
/// </list>
/// </summary>
public sealed class TestLeafService : Leaf.LeafBase
{
    /// <summary>The status message of the "fail" model: non-ASCII and a '%' on purpose.</summary>
    public const string NonAsciiMessage = "modèle inconnu: «☃» 模型 % done";

    /// <summary>The prefix of the "missing-…" models' NOT_FOUND message.</summary>
    public const string MissingPrefix = "Model not served here: ";

    private readonly TaskCompletionSource<bool> _waitCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _gateWaiters;
    private int _waitsStarted;
    private int _waitsActive;
    private int _waitsCancelled;
    private int _calls;

    /// <summary>Completes (true) when a "wait" call saw its cancellation token fire.</summary>
    public Task<bool> WaitCancelled => _waitCancelled.Task;

    /// <summary>"wait" calls started so far.</summary>
    public int WaitsStarted => Volatile.Read(ref _waitsStarted);

    /// <summary>"wait" calls running now.</summary>
    public int WaitsActive => Volatile.Read(ref _waitsActive);

    /// <summary>"wait" calls that ended by cancellation.</summary>
    public int WaitsCancelled => Volatile.Read(ref _waitsCancelled);

    /// <summary>Calls of any method that reached a handler.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The last "wait" call's deadline as the handler saw it.</summary>
    public DateTime? LastDeadline { get; private set; }

    /// <summary>The last request the Score handler received.</summary>
    public LeafScoreRequest? LastScoreRequest { get; private set; }

    /// <summary>The peer of the last call.</summary>
    public string? LastPeer { get; private set; }

    /// <summary>The deadline of the last call of any model.</summary>
    public DateTime? LastCallDeadline { get; private set; }

    /// <summary>The gate that "gate" calls wait on (for concurrency tests).</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many "gate" calls are waiting now.</summary>
    public int GateWaiters => Volatile.Read(ref _gateWaiters);

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
        ArgumentNullException.ThrowIfNull(request);
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

    /// <summary>What the "big" model answers.</summary>
    public static LeafScoreResponse Big(LeafScoreRequest request)
    {
        var big = Echo(request);
        big.Scores.Add(new float[request.RowCount * 64]);
        return big;
    }

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        LastPeer = context.Peer;
        return Task.FromResult(Models());
    }

    public override async Task<LeafScoreResponse> Score(LeafScoreRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        LastScoreRequest = request;
        LastPeer = context.Peer;
        LastCallDeadline = context.Deadline;
        switch (request.Model)
        {
            case "fail":
                throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, NonAsciiMessage));
            case var missing when missing.StartsWith("missing-", StringComparison.Ordinal):
                throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, MissingPrefix + missing));
            case "boom":
                throw new InvalidOperationException("secret internal detail");
            case "wait":
                return await WaitAsync(request, context);
            case "gate":
                Interlocked.Increment(ref _gateWaiters);
                await Gate.Task.WaitAsync(context.CancellationToken);
                return Echo(request);
            case "big":
                return Big(request);
            default:
                return Echo(request);
        }
    }

    private async Task<LeafScoreResponse> WaitAsync(LeafScoreRequest request, ServerCallContext context)
    {
        LastDeadline = context.Deadline;
        Interlocked.Increment(ref _waitsActive);
        Interlocked.Increment(ref _waitsStarted);
        try
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _waitsCancelled);
            _waitCancelled.TrySetResult(true);
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _waitsActive);
        }

        return Echo(request);
    }
}
