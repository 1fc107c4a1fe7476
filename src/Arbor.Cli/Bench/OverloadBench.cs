using System.Diagnostics;
using System.Globalization;
using System.Text;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Grpc.Core;

namespace Arbor.Cli.Bench;

/// <summary>
/// <c>arbor bench --scenario overload</c>: one root (trimmed) and the two sample leaves as processes,
/// with the limits served to people (1 s deadline, 800 ms leaf timeout) and default admission
/// control. A closed-loop run measures the maximum goodput and the sustainable request rate; then
/// each load level offers a multiple of that rate open-loop (every request with a 1 s deadline),
/// counting what succeeded, what admission control refused, what ran out of time, and the root's
/// resident set; the set is read again a while after the load stops.
/// </summary>
public static class OverloadBench
{
    private static readonly TimeSpan RssSampleInterval = TimeSpan.FromMilliseconds(250);

    public static async Task<OverloadReport> RunAsync(OverloadBenchOptions options, BenchProgress progress, CancellationToken cancellationToken)
    {
        var repository = RepositoryLocator.Find();
        var artefacts = await SampleArtefacts.EnsureAsync(repository, options.WorkDirectory, progress.Step, cancellationToken);
        await using var cluster = await ServingCluster.StartAsync(
            artefacts, [BenchMode.Trimmed], LeafLayout.Shared, ClusterPlacement.Loopback, options.WorkDirectory, progress.Step, cancellationToken,
            limits: ServingCluster.InteractiveLimits, rootEnvironment: options.RootEnvironment);
        var root = cluster.RootOf(BenchMode.Trimmed);
        var scenario = BenchScenario.Reference with { CandidatesPerRequest = options.CandidatesPerRequest };
        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), scenario, options.Seed);

        progress.Step("warming up for 5 s (one request at a time)");
        await RunClosedLoopAsync(root, workload, 1, TimeSpan.FromSeconds(5), options.Deadline, cancellationToken);
        var baseline = ProcessMemory.ResidentBytes(root.Process.Id);

        progress.Step($"measuring capacity for {options.CapacityDuration.TotalSeconds:F0} s with {options.CapacityCallers} callers");
        var capacity = await RunClosedLoopAsync(root, workload, options.CapacityCallers, options.CapacityDuration, options.Deadline, cancellationToken);
        var sustainable = capacity.Succeeded / capacity.Elapsed.TotalSeconds;
        var maxGoodput = capacity.SucceededCandidates / capacity.Elapsed.TotalSeconds;
        if (sustainable <= 0)
        {
            throw new InvalidOperationException($"no request succeeded in the capacity run: {capacity.Partial} with failed models, {capacity.Rejected} refused, {capacity.DeadlineExceeded} past their deadline, {capacity.Other} other failures ({capacity.LastError})");
        }

        progress.Step(string.Create(CultureInfo.InvariantCulture, $"capacity: {sustainable:F1} requests/s, {maxGoodput:F0} candidates/s"));
        var phases = new List<OverloadPhase>();
        foreach (var factor in options.Factors)
        {
            var rate = sustainable * factor;
            progress.Step(string.Create(CultureInfo.InvariantCulture, $"{factor:0.#}×: offering {rate:F1} requests/s for {options.PhaseDuration.TotalSeconds:F0} s"));
            phases.Add(await RunOpenLoopAsync(root, workload, options.CandidatesPerRequest, factor, rate, options.PhaseDuration, options.Deadline, cancellationToken));
        }

        progress.Step($"load stopped; reading the root's memory again in {options.Settle.TotalSeconds:F0} s");
        await Task.Delay(options.Settle, cancellationToken);
        var after = ProcessMemory.ResidentBytes(root.Process.Id);
        return new OverloadReport(maxGoodput, sustainable, phases, baseline, after, options.Settle.TotalSeconds, options.RootEnvironment);
    }

    /// <summary>The report as a table.</summary>
    public static string Format(OverloadReport report)
    {
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        text.AppendLine(culture, $"capacity (closed loop): {report.SustainablePerSecond:F1} requests/s, max goodput {report.MaxCandidatesPerSecond:F0} candidates/s");
        text.AppendLine("load | offered req/s | offered cand/s | goodput cand/s | % of max | ok | partial | refused (429) | deadline | other | p50 accepted ms | p99 accepted ms | root RSS peak MB");
        text.AppendLine("---|---|---|---|---|---|---|---|---|---|---|---|---");
        foreach (var p in report.Phases)
        {
            text.AppendLine(culture,
                $"{p.Factor:0.#}× | {p.OfferedPerSecond:F1} | {p.OfferedCandidatesPerSecond:F0} | {p.SucceededCandidatesPerSecond:F0} | {100 * p.SucceededCandidatesPerSecond / report.MaxCandidatesPerSecond:F0}% | " +
                $"{p.Succeeded} | {p.Partial} | {p.Rejected} | {p.DeadlineExceeded} | {p.OtherFailures} | {p.AcceptedP50Ms:F0} | {p.AcceptedP99Ms:F0} | {Megabytes(p.RootRssPeakBytes)}");
        }

        text.AppendLine(culture,
            $"root RSS: {Megabytes(report.RootRssBaselineBytes)} MB after warm-up, peak {Megabytes(report.Phases.Count == 0 ? 0 : report.Phases.Max(p => p.RootRssPeakBytes))} MB under load, " +
            $"{Megabytes(report.RootRssAfterBytes)} MB {report.SettleSeconds:F0} s after the load stopped");
        text.AppendLine(culture, $"root environment: {(report.RootEnvironment.Count == 0 ? "default" : string.Join(' ', report.RootEnvironment.Select(e => $"{e.Key}={e.Value}")))}");
        return text.ToString();
    }

    private static long Megabytes(long bytes) => bytes / (1024 * 1024);

    private static async Task<Tally> RunClosedLoopAsync(RootProcess root, ScoreWorkload workload, int callers, TimeSpan duration, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                await CallAsync(root.Channel, Next(workload), deadline, tally, cancellationToken);
            }
        }));
        tally.Elapsed = Stopwatch.GetElapsedTime(started);
        return tally;
    }

    private static async Task<OverloadPhase> RunOpenLoopAsync(
        RootProcess root, ScoreWorkload workload, int candidates, double factor, double rate, TimeSpan duration, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        var calls = new List<Task>();
        long offered = 0, peak = 0;
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcessMemory.ResidentBytes(root.Process.Id));
                try
                {
                    await Task.Delay(RssSampleInterval, stopSampling.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);

        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var due = TimeSpan.FromSeconds(offered / rate);
            if (due >= duration)
            {
                break;
            }

            var wait = due - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            offered++;
            calls.Add(CallAsync(root.Channel, Next(workload), deadline, tally, cancellationToken));
            if (calls.Count > 256)
            {
                calls.RemoveAll(c => c.IsCompleted);
            }
        }

        var offeredFor = Stopwatch.GetElapsedTime(started);
        await Task.WhenAll(calls);
        await stopSampling.CancelAsync();
        await sampler;
        peak = Math.Max(peak, ProcessMemory.ResidentBytes(root.Process.Id));
        var seconds = offeredFor.TotalSeconds;
        return new OverloadPhase(
            factor, offered / seconds, offered, tally.Succeeded, tally.Partial, tally.Rejected, tally.DeadlineExceeded, tally.Other,
            tally.SucceededCandidates / seconds, offered * (double)candidates / seconds,
            tally.Accepted.Percentile(50), tally.Accepted.Percentile(99), peak);
    }

    private static ScoreRequest Next(ScoreWorkload workload)
    {
        lock (workload)
        {
            return workload.Next();
        }
    }

    private static async Task CallAsync(RpcChannel channel, ScoreRequest request, TimeSpan deadline, Tally tally, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await channel.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = deadline }, cancellationToken);
            tally.Accepted.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (response.Results.All(r => r.Status.Code == 0))
            {
                Interlocked.Increment(ref tally.Succeeded);
                Interlocked.Add(ref tally.SucceededCandidates, request.Candidates.Count);
            }
            else
            {
                Interlocked.Increment(ref tally.Partial);
                var failed = response.Results.First(r => r.Status.Code != 0);
                tally.LastError = $"{failed.Model}: {(StatusCode)failed.Status.Code}: {failed.Status.Message}";
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
        {
            Interlocked.Increment(ref tally.Rejected);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            tally.Accepted.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Interlocked.Increment(ref tally.DeadlineExceeded);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            tally.Accepted.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Interlocked.Increment(ref tally.Other);
            tally.LastError = $"{e.StatusCode}: {e.Status.Detail}";
        }
    }

    private sealed class Tally
    {
#pragma warning disable SA1401, CA1051 // counted with Interlocked
        public long Succeeded;
        public long SucceededCandidates;
        public long Partial;
        public long Rejected;
        public long DeadlineExceeded;
        public long Other;
#pragma warning restore SA1401, CA1051

        public LatencySamples Accepted { get; } = new();

        public TimeSpan Elapsed { get; set; }

        public string? LastError { get; set; }

        public long Failed => Partial + Rejected + DeadlineExceeded + Other;
    }
}
