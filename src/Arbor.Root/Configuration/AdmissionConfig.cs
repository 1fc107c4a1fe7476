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
}
