namespace Arbor.Cli.Bench;

/// <summary>What one fault did to traffic (<see cref="FaultBench"/>): counted from the fault until a window after its repair.</summary>
/// <param name="Fault">What was done.</param>
/// <param name="Requests">Requests that ended while the fault lasted, during its repair and in the window after.</param>
/// <param name="FailedRequests">Of those, requests whose call failed (an error status instead of an answer).</param>
/// <param name="ModelErrors">Failed model results inside answered requests, by model.</param>
/// <param name="UntrimmedCalls">Leaf calls the root sent untrimmed meanwhile (its <c>/admin/stats</c>).</param>
/// <param name="P99BeforeMs">p99 of the window before the fault (every request that reached the root).</param>
/// <param name="P99DuringMs">p99 from the fault until it was repaired.</param>
/// <param name="P99AfterMs">p99 of the window after the repair.</param>
/// <param name="RecoveredSeconds">Seconds from the start of the repair until the last failed request ended (0: none after it); null: nothing failed.</param>
/// <param name="RootUnreadySeconds">How long the root's <c>/readyz</c> said not ready, from the fault to the end of the window after (sampled every 250 ms).</param>
/// <param name="ProcessesAlive">Root and leaf processes running at the end.</param>
/// <param name="Processes">Root and leaf processes in all.</param>
/// <param name="Note">What the fault's own probe saw (refusals of the huge request, the offered rate).</param>
/// <param name="FirstFailures">The first failures, for the report.</param>
/// <param name="Skipped">Why the fault was not run; null when it was.</param>
public sealed record FaultResult(
    string Fault,
    long Requests,
    long FailedRequests,
    IReadOnlyDictionary<string, long> ModelErrors,
    long UntrimmedCalls,
    double P99BeforeMs,
    double P99DuringMs,
    double P99AfterMs,
    double? RecoveredSeconds,
    double RootUnreadySeconds,
    int ProcessesAlive,
    int Processes,
    string? Note,
    IReadOnlyList<string> FirstFailures,
    string? Skipped)
{
    public static FaultResult Skip(string fault, string why) =>
        new(fault, 0, 0, new Dictionary<string, long>(), 0, double.NaN, double.NaN, double.NaN, null, 0, 0, 0, null, [], why);
}
