namespace Arbor.Root.Configuration;

/// <summary>
/// Admission control: how many score requests the root works on at once and how many may wait for
/// a turn. Unset values are derived from the machine (<see cref="Admission.AdmissionOptions.From"/>).
/// Read at start-up only.
/// </summary>
public sealed record AdmissionConfig
{
    /// <summary>Requests worked on at once (fetching, encoding, waiting on leaves).</summary>
    public int? MaxInFlight { get; init; }

    /// <summary>Requests waiting for a turn; one more is refused with RESOURCE_EXHAUSTED.</summary>
    public int? MaxQueued { get; init; }

    /// <summary>
    /// After serving, this many seconds with no request finishing and none in flight make the root
    /// give the heap a burst grew back to the operating system (one full collection); 0 turns it off.
    /// </summary>
    public int ReleaseMemoryAfterIdleSeconds { get; init; } = 10;
}
