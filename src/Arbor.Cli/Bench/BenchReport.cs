namespace Arbor.Cli.Bench;

/// <summary>The benchmark's JSON report (<c>arbor.bench/v1</c>): how it ran, one entry per mode, and the headline ratios.</summary>
public sealed record BenchReport
{
    public string Schema { get; init; } = "arbor.bench/v1";

    public required string Scenario { get; init; }

    public required string Description { get; init; }

    public required string Command { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Wall time of the whole run, start-up included.</summary>
    public required double DurationS { get; init; }

    public required double WarmupS { get; init; }

    public required double MeasuredS { get; init; }

    public required double OfferedRequestsPerS { get; init; }

    /// <summary>Where the offered load came from (--rate, the scenario, or lowered to this machine's capacity).</summary>
    public string? RateSource { get; init; }

    public required int CandidatesPerRequest { get; init; }

    /// <summary><c>interleaved</c> (all modes, each request to every mode) or <c>link</c> (one mode at a time on a shaped link).</summary>
    public required string Method { get; init; }

    public required string LeafLayout { get; init; }

    public int? LinkMbit { get; init; }

    public required long Shed { get; init; }

    public required int ProcessorCount { get; init; }

    public required IReadOnlyList<BenchModeResult> Modes { get; init; }

    public required BenchSummary Summary { get; init; }
}
