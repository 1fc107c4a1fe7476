namespace Arbor.Root.Health;

/// <summary>One leaf replica as the last readiness check found it.</summary>
/// <param name="Address">The replica's address (for the status page; <c>/readyz</c> shows counts only).</param>
/// <param name="Ready">Whether its health service said SERVING.</param>
/// <param name="Error">Why not, when not ready.</param>
public sealed record ReplicaReadiness(string Address, bool Ready, string? Error);
