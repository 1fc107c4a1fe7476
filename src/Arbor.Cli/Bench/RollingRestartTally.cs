namespace Arbor.Cli.Bench;

/// <summary>Requests and failures of one phase or step, from several callers at once.</summary>
internal sealed class RollingRestartTally
{
    private const int KeptFailures = 10;
    private readonly List<string> _failures = [];
    private long _requests;
    private long _failed;

    public LatencySamples Latencies { get; } = new();

    public long Requests => Interlocked.Read(ref _requests);

    public long Failed => Interlocked.Read(ref _failed);

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

    public void Fail(string why)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _failed);
        lock (_failures)
        {
            if (_failures.Count < KeptFailures)
            {
                _failures.Add(why);
            }
        }
    }

    public RollingRestartPhase ToPhase(string name) => new(name, Requests, Failed, Latencies.Percentile(50), Latencies.Percentile(99));
}
