namespace Arbor.Release.Canary;

/// <summary>The outcome of a canary analysis: every check, and the windows they came from.</summary>
public sealed record CanaryVerdict(TrafficWindow Canary, TrafficWindow Production, IReadOnlyList<CanaryCheck> Checks)
{
    public bool Passed => Checks.All(c => c.Passed);
}
