namespace Arbor.Cli.Bench;

/// <summary>What the load driver saw of one mode during one phase: latencies, failures and score parity against the baseline.</summary>
public sealed class ModeTally
{
    private long _completed;
    private long _errors;
    private long _compared;
    private long _mismatches;
    private long _candidates;
    private long _unfinished;

    public LatencySamples Latencies { get; } = new();

    public long Completed => Interlocked.Read(ref _completed);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Responses compared with the baseline mode's response to the same request.</summary>
    public long Compared => Interlocked.Read(ref _compared);

    public long Mismatches => Interlocked.Read(ref _mismatches);

    /// <summary>Candidates of the requests that completed.</summary>
    public long Candidates => Interlocked.Read(ref _candidates);

    /// <summary>Requests cancelled because they were still unanswered when the phase's drain time ran out.</summary>
    public long Unfinished => Interlocked.Read(ref _unfinished);

    public string? FirstError { get; private set; }

    public string? FirstMismatch { get; private set; }

    public void RecordSuccess(double milliseconds, int candidates)
    {
        Latencies.Add(milliseconds);
        Interlocked.Increment(ref _completed);
        Interlocked.Add(ref _candidates, candidates);
    }

    public void RecordError(string message)
    {
        Interlocked.Increment(ref _errors);
        FirstError ??= message;
    }

    public void RecordUnfinished() => Interlocked.Increment(ref _unfinished);

    public void RecordComparison(string? difference)
    {
        Interlocked.Increment(ref _compared);
        if (difference is not null)
        {
            Interlocked.Increment(ref _mismatches);
            FirstMismatch ??= difference;
        }
    }
}
