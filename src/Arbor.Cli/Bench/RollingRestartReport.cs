namespace Arbor.Cli.Bench;

/// <summary>What <see cref="RollingRestartBench"/> saw: load phases, one line per restarted process, and the first failures.</summary>
public sealed record RollingRestartReport(
    RollingRestartOptions Options, IReadOnlyList<string> Partitions, IReadOnlyList<RollingRestartPhase> Phases, IReadOnlyList<RollingRestartStep> Steps, IReadOnlyList<string> FirstFailures)
{
    public long Requests => Phases.Sum(p => p.Requests);

    public long Failed => Phases.Sum(p => p.Failed);
}

/// <summary>One load phase: before the restarts, while they run, after them.</summary>
public sealed record RollingRestartPhase(string Name, long Requests, long Failed, double P50Ms, double P99Ms);

/// <summary>
/// One process restarted: SIGTERM to exit (<see cref="DrainSeconds"/>), start to ready, ready to
/// getting traffic again from every root, and the requests that ran meanwhile.
/// </summary>
public sealed record RollingRestartStep(string Process, double DrainSeconds, double ReadySeconds, double BackInTrafficSeconds, long Requests, long Failed);
