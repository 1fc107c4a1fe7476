using System.Diagnostics;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Grpc.Core;

namespace Arbor.Cli.Bench;

/// <summary>
/// Drives score requests at the roots. Open loop: at a fixed rate, each generated request goes to
/// every mode's root in a freshly shuffled order (one after the other, so modes do not compete for
/// the same cores within a request), and every response is compared bitwise with the baseline
/// mode's. Bounded: requests still in flight beyond a cap are shed and counted, never queued.
/// Closed loop: a fixed number of callers against one root, for maximum throughput.
/// </summary>
public sealed class LoadDriver(ScoreWorkload workload, TimeProvider time, int seed)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private readonly Random _shuffle = new(seed);

    /// <summary>Maximum request groups in flight before new ones are shed.</summary>
    public int MaxInFlight { get; init; } = 64;

    /// <summary>Called after each started group with the number started so far.</summary>
    public Action<long>? OnRequestStarted { get; init; }

    /// <summary>Offers <paramref name="requestsPerSecond"/> requests per second for <paramref name="duration"/>, each to every root.</summary>
    /// <remarks>
    /// Requests still unanswered <paramref name="drainLimit"/> after the last one was offered are
    /// cancelled and counted as unfinished, so an overloaded system cannot stretch the run.
    /// </remarks>
    public async Task<LoadPhaseResult> RunOpenLoopAsync(IReadOnlyList<RootProcess> roots, double requestsPerSecond, TimeSpan duration, TimeSpan drainLimit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        var tallies = roots.ToDictionary(r => r.Mode, _ => new ModeTally());
        using var calls = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new List<Task>();
        var started = time.GetTimestamp();
        long offered = 0, shed = 0;
        while (true)
        {
            var due = TimeSpan.FromSeconds(offered / requestsPerSecond);
            if (due >= duration)
            {
                break;
            }

            var wait = due - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            offered++;
            inFlight.RemoveAll(t => t.IsCompleted);
            if (inFlight.Count >= MaxInFlight)
            {
                shed++;
                continue;
            }

            var request = workload.Next();
            var order = roots.ToArray();
            _shuffle.Shuffle(order);
            inFlight.Add(RunGroupAsync(request, order, roots[0], tallies, calls.Token, cancellationToken));
            OnRequestStarted?.Invoke(offered);
        }

        calls.CancelAfter(drainLimit);
        await Task.WhenAll(inFlight);
        return new LoadPhaseResult(tallies, time.GetElapsedTime(started), offered, shed);
    }

    /// <summary>Keeps <paramref name="concurrency"/> requests outstanding at one root for <paramref name="duration"/>.</summary>
    public async Task<LoadPhaseResult> RunClosedLoopAsync(RootProcess root, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var tally = new ModeTally();
        var started = time.GetTimestamp();
        long offered = 0;
        var callers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (time.GetElapsedTime(started) < duration)
            {
                ScoreRequest request;
                lock (workload)
                {
                    request = workload.Next();
                }

                Interlocked.Increment(ref offered);
                await CallAsync(root, request, tally, cancellationToken, cancellationToken);
            }
        });
        await Task.WhenAll(callers);
        return new LoadPhaseResult(new Dictionary<BenchMode, ModeTally> { [root.Mode] = tally }, time.GetElapsedTime(started), offered, 0);
    }

    /// <summary>Sends every root the same request one after the other, then compares each response with the baseline's.</summary>
    public async Task<TimeSpan> RunGroupAsync(ScoreRequest request, IReadOnlyList<RootProcess> order, RootProcess baseline, IReadOnlyDictionary<BenchMode, ModeTally> tallies, CancellationToken callToken, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.GetTimestamp();
        var responses = new Dictionary<BenchMode, ScoreResponse>();
        foreach (var root in order)
        {
            if (await CallAsync(root, request, tallies[root.Mode], callToken, cancellationToken) is { } response)
            {
                responses[root.Mode] = response;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(clock);
        if (!responses.TryGetValue(baseline.Mode, out var expected))
        {
            return elapsed;
        }

        foreach (var (mode, response) in responses)
        {
            if (mode != baseline.Mode)
            {
                tallies[mode].RecordComparison(ScoreParity.FirstDifference(expected, response));
            }
        }

        // The baseline agrees with itself only if every model answered.
        tallies[baseline.Mode].RecordComparison(ScoreParity.FirstDifference(expected, expected));
        return elapsed;
    }

    /// <summary>
    /// Sends requests to every root one group at a time for <paramref name="duration"/> (warm-up)
    /// and returns the median time a group took over the second half (the first pays for JIT and
    /// cold caches): the cost of one request in every mode with nothing else in flight.
    /// </summary>
    public async Task<TimeSpan> RunSequentialGroupsAsync(IReadOnlyList<RootProcess> roots, TimeSpan duration, CancellationToken cancellationToken)
    {
        var tallies = roots.ToDictionary(r => r.Mode, _ => new ModeTally());
        var times = new List<TimeSpan>();
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < duration)
        {
            var order = roots.ToArray();
            _shuffle.Shuffle(order);
            times.Add(await RunGroupAsync(workload.Next(), order, roots[0], tallies, cancellationToken, cancellationToken));
            OnRequestStarted?.Invoke(times.Count);
        }

        var settled = times.Skip(times.Count / 2).Order().ToList();
        return settled[settled.Count / 2];
    }

    private static async Task<ScoreResponse?> CallAsync(RootProcess root, ScoreRequest request, ModeTally tally, CancellationToken callToken, CancellationToken cancellationToken)
    {
        if (callToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            tally.RecordUnfinished();
            return null;
        }

        var clock = Stopwatch.GetTimestamp();
        try
        {
            var response = await root.Client.ScoreAsync(request, deadline: DateTime.UtcNow + CallTimeout, cancellationToken: callToken).ResponseAsync;
            tally.RecordSuccess(Stopwatch.GetElapsedTime(clock).TotalMilliseconds, request.Candidates.Count);
            return response;
        }
        catch (OperationCanceledException) when (callToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            tally.RecordUnfinished();
            return null;
        }
        catch (Exception e) when (e is RpcException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            tally.RecordError(e.Message);
            return null;
        }
    }
}
