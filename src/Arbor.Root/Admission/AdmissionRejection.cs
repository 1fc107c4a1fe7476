namespace Arbor.Root.Admission;

/// <summary>Why admission control refused a request.</summary>
public enum AdmissionRejection
{
    /// <summary>Every slot busy and the queue full.</summary>
    QueueFull,

    /// <summary>The request could not have finished before its deadline: it would wait too long for a turn.</summary>
    Deadline,
}
