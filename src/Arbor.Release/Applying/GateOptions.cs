using Arbor.Release.Canary;

namespace Arbor.Release.Applying;

/// <summary>How the gates after each step wait and judge.</summary>
public sealed record GateOptions
{
    /// <summary>How long to wait for roots to load a bundle or leaves to serve a version.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often to ask while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the canary analysis observes traffic.</summary>
    public TimeSpan CanaryWindow { get; init; } = TimeSpan.FromSeconds(30);

    public CanaryThresholds Thresholds { get; init; } = new();

    /// <summary>Pass the canary analysis step without measuring (recorded in the journal).</summary>
    public bool SkipCanaryAnalysis { get; init; }
}
