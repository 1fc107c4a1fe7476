using System.Diagnostics;
using System.Globalization;
using Arbor.Contracts.V1;
using Grpc.Core;

namespace Arbor.Cli.Bench;

/// <summary>
/// Steady load for the fault and rolling-restart benches: closed-loop callers send each request, with
/// its deadline, to the next ready root of <paramref name="service"/> and record every outcome into
/// the current phase's tally (and the current step's, when one is open); <see cref="OfferAsync"/>
/// adds open-loop requests at a fixed rate on top. A request fails if its call fails or any of its
/// models has a non-OK status; the failed models are counted per model.
/// </summary>
internal sealed class ClosedLoopLoad(ReadyEndpoints service, Func<ScoreRequest> nextRequest, TimeSpan deadline) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private LoadTally _phase = new();
    private LoadTally? _step;

    public LoadTally Begin()
    {
        var tally = new LoadTally();
        Volatile.Write(ref _phase, tally);
        return tally;
    }

    public LoadTally BeginStep()
    {
        var tally = new LoadTally();
        Volatile.Write(ref _step, tally);
        return tally;
    }

    public void EndStep() => Volatile.Write(ref _step, null);

    /// <summary>Seconds since the load began, to place failures among the steps.</summary>
    public double Seconds => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    public void Stop() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    public async Task CallLoopAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        while (!linked.IsCancellationRequested)
        {
            await CallAndRecordAsync(nextRequest(), cancellationToken);
        }
    }

    /// <summary>Sends <paramref name="requestsPerSecond"/> more requests per second for <paramref name="duration"/>, not waiting for answers to send the next.</summary>
    public async Task OfferAsync(double requestsPerSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        var calls = new List<Task>();
        var started = Stopwatch.GetTimestamp();
        for (long offered = 0; ; offered++)
        {
            var due = TimeSpan.FromSeconds(offered / requestsPerSecond);
            if (due >= duration)
            {
                break;
            }

            var wait = due - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            calls.Add(CallAndRecordAsync(nextRequest(), cancellationToken));
            if (calls.Count > 256)
            {
                calls.RemoveAll(c => c.IsCompleted);
            }
        }

        await Task.WhenAll(calls);
    }

    private async Task CallAndRecordAsync(ScoreRequest request, CancellationToken cancellationToken)
    {
        if (await CallAsync(request, cancellationToken) is not { } outcome)
        {
            return;
        }

        var at = Seconds;
        foreach (var tally in new[] { Volatile.Read(ref _phase), Volatile.Read(ref _step) })
        {
            if (tally is null)
            {
                continue;
            }

            if (outcome.Failure is null)
            {
                tally.Succeeded(outcome.Milliseconds ?? 0);
            }
            else
            {
                tally.Fail(string.Create(CultureInfo.InvariantCulture, $"at {at:F1} s: {outcome.Failure}"), at, outcome.Milliseconds, outcome.FailedModels);
            }
        }
    }

    /// <summary>Null when the bench itself was interrupted; otherwise the failure (null when none), the latency and the failed models.</summary>
    private async Task<Outcome?> CallAsync(ScoreRequest request, CancellationToken cancellationToken)
    {
        var root = service.Next();
        if (root is null)
        {
            // No ready root: a Service without endpoints refuses the connection.
            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
            return new Outcome("no ready root", null, null);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await root.Client.ScoreAsync(request, deadline: DateTime.UtcNow + deadline, cancellationToken: cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var failed = response.Results.Where(r => r.Status.Code != 0).ToList();
            return failed.Count == 0
                ? new Outcome(null, elapsed, null)
                : new Outcome($"{root.Name}: model {failed[0].Model}: {(StatusCode)failed[0].Status.Code}: {failed[0].Status.Message}", elapsed, [.. failed.Select(r => r.Model)]);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (RpcException e)
        {
            return new Outcome($"{root.Name}: {e.StatusCode}: {e.Status.Detail}", Stopwatch.GetElapsedTime(started).TotalMilliseconds, null);
        }
    }

    private readonly record struct Outcome(string? Failure, double? Milliseconds, IReadOnlyList<string>? FailedModels);
}
