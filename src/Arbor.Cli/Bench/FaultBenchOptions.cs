namespace Arbor.Cli.Bench;

/// <summary>How to run <c>arbor bench --scenario faults</c> (<see cref="FaultBench"/>).</summary>
public sealed record FaultBenchOptions
{
    /// <summary>Each window: steady load before the fault, the fault itself, and steady load after the repair.</summary>
    public TimeSpan FaultDuration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Steady load before the first fault (JIT, caches, connections).</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Closed-loop callers of the steady load.</summary>
    public int Callers { get; init; } = 2;

    /// <summary>The steady load's requests.</summary>
    public BenchScenario Scenario { get; init; } = BenchScenario.Small;

    /// <summary>The root's cache time to live with PostgreSQL: short, so a store outage shows within a window.</summary>
    public double CacheTtlSeconds { get; init; } = 1;

    public required string WorkDirectory { get; init; }

    public int Seed { get; init; } = 7;
}
