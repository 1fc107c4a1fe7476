using System.Collections.Concurrent;

namespace Arbor.Cli.Bench;

/// <summary>
/// Requests and failures of one phase or step, from several callers at once: how many requests,
/// how many failed (the call failed, or a model in its answer did), how many of those failed as a
/// whole call, each model's failed results, and when (on the load's clock) the last failure ended.
/// </summary>
internal sealed class LoadTally
{
    private const int KeptFailures = 10;
    private readonly List<string> _failures = [];
    private readonly ConcurrentDictionary<string, long> _modelErrors = new(StringComparer.Ordinal);
    private long _requests;
    private long _failed;
    private long _callsFailed;
    private double _lastFailureAt = double.NaN;

    public LatencySamples Latencies { get; } = new();

    public long Requests => Interlocked.Read(ref _requests);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Requests whose call failed (an error status instead of an answer).</summary>
    public long CallsFailed => Interlocked.Read(ref _callsFailed);

    /// <summary>Failed model results inside answered requests, by model.</summary>
    public IReadOnlyDictionary<string, long> ModelErrors => new Dictionary<string, long>(_modelErrors, StringComparer.Ordinal);

    /// <summary>Seconds on the load's clock when the last failed request ended; NaN without failures.</summary>
    public double LastFailureAt
    {
        get
        {
            lock (_failures)
            {
                return _lastFailureAt;
            }
        }
    }

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    public void Succeeded(double milliseconds)
    {
        Interlocked.Increment(ref _requests);
        Latencies.Add(milliseconds);
    }

    /// <summary>A failed request: its call failed, or (with <paramref name="failedModels"/>) it was answered with failed models.</summary>
    /// <param name="why">What failed, for the report.</param>
    /// <param name="at">Seconds on the load's clock when it ended.</param>
    /// <param name="milliseconds">How long it took, when it reached the root (null: never sent).</param>
    /// <param name="failedModels">The models that failed inside an answer; null when the call itself failed.</param>
    public void Fail(string why, double at = double.NaN, double? milliseconds = null, IReadOnlyList<string>? failedModels = null)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _failed);
        if (milliseconds is { } ms)
        {
            Latencies.Add(ms);
        }

        if (failedModels is null)
        {
            Interlocked.Increment(ref _callsFailed);
        }
        else
        {
            foreach (var model in failedModels)
            {
                _modelErrors.AddOrUpdate(model, 1, (_, n) => n + 1);
            }
        }

        lock (_failures)
        {
            if (!double.IsNaN(at) && !(at <= _lastFailureAt))
            {
                _lastFailureAt = at;
            }

            if (_failures.Count < KeptFailures)
            {
                _failures.Add(why);
            }
        }
    }

    public RollingRestartPhase ToPhase(string name) => new(name, Requests, Failed, Latencies.Percentile(50), Latencies.Percentile(99));
}
