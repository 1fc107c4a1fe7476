namespace Arbor.Cli.Bench;

/// <summary>What <see cref="RollingRestartBench"/> runs.</summary>
public sealed record RollingRestartOptions
{
    /// <summary>Leaf replicas per partition.</summary>
    public int Replicas { get; init; } = 2;

    /// <summary>Roots behind the stand-in Service.</summary>
    public int Roots { get; init; } = 2;

    /// <summary>Callers sending requests back to back (closed loop).</summary>
    public int Callers { get; init; } = 2;

    /// <summary>The requests' scenario (candidates per request, surface).</summary>
    public BenchScenario Scenario { get; init; } = BenchScenario.Small;

    /// <summary>Each request's deadline (the roots' default deadline too; leaf calls are capped below it).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The drain delay every process gets (<c>--drain-delay-ms</c>): how long it serves on, already unready, after SIGTERM.</summary>
    public TimeSpan DrainDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the stand-in Service reads every root's <c>/readyz</c> (an endpoints controller's job).</summary>
    public TimeSpan EndpointRefresh { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Steady load before the first restart and after the last.</summary>
    public TimeSpan Steady { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a restarted process may take to be ready and to get traffic again.</summary>
    public TimeSpan RestartTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Every process on a host of its own (network namespaces, needs root), leaves found through DNS names.</summary>
    public bool Namespaces { get; init; }

    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "arbor-rolling-restart");

    public int Seed { get; init; } = 7;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Validate()
    {
        if (Replicas < 2)
        {
            throw new ArgumentException("--replicas must be at least 2: with one replica a restart leaves a partition without leaves");
        }

        if (Roots < 2)
        {
            throw new ArgumentException("--roots must be at least 2: with one root a restart leaves the Service without endpoints");
        }

        if (Callers < 1 || Deadline <= TimeSpan.Zero || DrainDelay < TimeSpan.Zero || Steady <= TimeSpan.Zero || EndpointRefresh <= TimeSpan.Zero)
        {
            throw new ArgumentException("--callers must be >= 1, --deadline-ms and --steady-seconds positive, --drain-delay-ms not negative");
        }
    }
}
