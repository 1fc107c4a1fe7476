namespace Arbor.Cli.Bench;

/// <summary>How to run the overload benchmark (<c>arbor bench --scenario overload</c>).</summary>
public sealed record OverloadBenchOptions
{
    /// <summary>Load levels, as multiples of the measured sustainable rate.</summary>
    public IReadOnlyList<double> Factors { get; init; } = [1, 2, 5];

    /// <summary>Seconds of each load level.</summary>
    public TimeSpan PhaseDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Seconds of the closed-loop run that measures the maximum goodput.</summary>
    public TimeSpan CapacityDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Callers of the closed-loop capacity run.</summary>
    public int CapacityCallers { get; init; } = 4;

    /// <summary>The deadline every request carries.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long after the load stops the root's resident set is read again.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Candidates per request.</summary>
    public int CandidatesPerRequest { get; init; } = BenchScenario.Reference.CandidatesPerRequest;

    /// <summary>Extra environment of the root process (GC settings under test).</summary>
    public IReadOnlyDictionary<string, string> RootEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>More roots, each with its own extra environment, measured side by side with the first.</summary>
    public IReadOnlyList<RootBuild> Variants { get; init; } = [];

    /// <summary>Rounds of every load level over all roots (interleaved, shuffled per round).</summary>
    public int Rounds { get; init; } = 1;

    public required string WorkDirectory { get; init; }

    public int Seed { get; init; } = 7;
}
