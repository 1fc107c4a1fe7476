namespace Arbor.Cli.Bench;

/// <summary>What one load level of the overload benchmark offered one root and got.</summary>
/// <param name="Root">The root it went to (<c>current</c>, or a variant's name).</param>
/// <param name="Round">Which round of the interleaved run (1 without variants).</param>
/// <param name="Factor">The offered load as a multiple of the measured sustainable rate.</param>
/// <param name="OfferedPerSecond">Requests offered per second.</param>
/// <param name="Offered">Requests offered.</param>
/// <param name="Succeeded">Requests answered OK with every model scored.</param>
/// <param name="Partial">Requests answered OK with at least one model failed (not counted as goodput).</param>
/// <param name="Rejected">Requests refused by admission control (RESOURCE_EXHAUSTED).</param>
/// <param name="DeadlineExceeded">Requests that ran out of their deadline.</param>
/// <param name="OtherFailures">Requests failed with any other status.</param>
/// <param name="SucceededCandidatesPerSecond">Candidates of succeeded requests per second (goodput).</param>
/// <param name="OfferedCandidatesPerSecond">Candidates offered per second.</param>
/// <param name="AcceptedP50Ms">Median latency of the requests the root accepted (every request but the rejected ones).</param>
/// <param name="AcceptedP99Ms">p99 latency of the requests the root accepted.</param>
/// <param name="RootRssPeakBytes">The root's largest resident set seen during the phase.</param>
public sealed record OverloadPhase(
    string Root,
    int Round,
    double Factor,
    double OfferedPerSecond,
    long Offered,
    long Succeeded,
    long Partial,
    long Rejected,
    long DeadlineExceeded,
    long OtherFailures,
    double SucceededCandidatesPerSecond,
    double OfferedCandidatesPerSecond,
    double AcceptedP50Ms,
    double AcceptedP99Ms,
    long RootRssPeakBytes);
