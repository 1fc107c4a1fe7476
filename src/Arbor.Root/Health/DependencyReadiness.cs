namespace Arbor.Root.Health;

/// <summary>What the last check of one thing the root depends on found.</summary>
/// <param name="Ready">Whether it answered as it should.</param>
/// <param name="Summary">A few words for <c>/readyz</c> (no addresses, paths or secrets).</param>
/// <param name="Error">The full error of the last failed check, for the status page and logs; null when ready.</param>
/// <param name="Since">When it last changed between ready and not ready.</param>
/// <param name="CheckedAt">When it was last checked.</param>
public sealed record DependencyReadiness(bool Ready, string Summary, string? Error, DateTimeOffset Since, DateTimeOffset CheckedAt)
{
    /// <summary>The state before the first check.</summary>
    public static DependencyReadiness Unchecked(DateTimeOffset now) => new(false, "not checked yet", null, now, now);

    /// <summary>The next state after a check: <see cref="Since"/> moves only when readiness flips.</summary>
    public DependencyReadiness Next(bool ready, string summary, string? error, DateTimeOffset now) =>
        new(ready, summary, error, ready == Ready ? Since : now, now);
}
