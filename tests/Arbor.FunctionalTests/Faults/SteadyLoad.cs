using System.Collections.Concurrent;
using System.Diagnostics;
using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Grpc.Core;

namespace Arbor.FunctionalTests.Faults;

/// <summary>
/// Steady traffic while a fault happens: a few workers send the same fixed requests round and round
/// (each with its own deadline) until stopped, and every outcome is kept for the test to check.
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    private readonly ConcurrentQueue<LoadOutcome> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;

    private SteadyLoad(RpcChannel channel, IReadOnlyList<ScoreRequest> requests, TimeSpan deadline, int workers)
    {
        _workers = [.. Enumerable.Range(0, workers).Select(w => Task.Run(() => RunAsync(channel, requests, deadline, w)))];
    }

    /// <summary>Every outcome so far.</summary>
    public IReadOnlyCollection<LoadOutcome> Outcomes => _outcomes;

    public static SteadyLoad Start(RpcChannel channel, IReadOnlyList<ScoreRequest> requests, TimeSpan deadline, int workers = 2) =>
        new(channel, requests, deadline, workers);

    /// <summary>Stops the workers after their current request and returns every outcome.</summary>
    public async Task<IReadOnlyList<LoadOutcome>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        return [.. _outcomes];
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(RpcChannel channel, IReadOnlyList<ScoreRequest> requests, TimeSpan deadline, int worker)
    {
        for (var i = worker; !_stop.IsCancellationRequested; i++)
        {
            var index = i % requests.Count;
            var watch = Stopwatch.StartNew();
            try
            {
                // Not cancelled by the stop: a request in flight runs to its own end.
                var response = await channel.CallAsync("arbor.v1.Root/Score", requests[index], ScoreResponse.Parser, new RpcCallOptions { Timeout = deadline }, CancellationToken.None);
                _outcomes.Enqueue(new LoadOutcome(index, response, null, watch.Elapsed));
            }
            catch (RpcException e)
            {
                _outcomes.Enqueue(new LoadOutcome(index, null, e.Status, watch.Elapsed));
            }
        }
    }
}
