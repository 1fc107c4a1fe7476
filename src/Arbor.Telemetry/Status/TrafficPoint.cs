namespace Arbor.Telemetry.Status;

/// <summary>One model's traffic over one slot of a <see cref="TrafficHistory"/>.</summary>
/// <param name="Start">When the slot began.</param>
/// <param name="Calls">Calls finished in it.</param>
/// <param name="Errors">Calls that ended with a server error (<see cref="StatusClasses"/>).</param>
/// <param name="ClientErrors">Calls that ended with a client error: the caller's mistake, not the service's.</param>
/// <param name="P99Seconds">The latency bucket bound under which 99 % of its calls finished; null without calls.</param>
/// <param name="Rows">Candidates scored.</param>
/// <param name="BytesSaved">Request bytes trimming left out.</param>
public sealed record TrafficPoint(DateTimeOffset Start, long Calls, long Errors, long ClientErrors, double? P99Seconds, long Rows, long BytesSaved)
{
    /// <summary>Server errors over calls; null without calls.</summary>
    public double? ErrorRate => Calls == 0 ? null : (double)Errors / Calls;

    /// <summary>Bytes trimming saved per candidate scored; null without candidates.</summary>
    public double? BytesSavedPerCandidate => Rows == 0 ? null : (double)BytesSaved / Rows;
}
