namespace Arbor.Cli.Bench;

/// <summary>The overload benchmark's result: the capacity measured, each load level, the root's memory.</summary>
/// <param name="MaxCandidatesPerSecond">Goodput of the closed-loop capacity run (the maximum).</param>
/// <param name="SustainablePerSecond">Requests per second the capacity run completed (the 1× rate).</param>
/// <param name="Phases">One entry per load level.</param>
/// <param name="RootRssBaselineBytes">The root's resident set after warm-up, before load.</param>
/// <param name="RootRssAfterBytes">The root's resident set <see cref="SettleSeconds"/> after the load stopped.</param>
/// <param name="SettleSeconds">Seconds waited after the load.</param>
/// <param name="RootEnvironment">The root's extra environment (GC settings).</param>
public sealed record OverloadReport(
    double MaxCandidatesPerSecond,
    double SustainablePerSecond,
    IReadOnlyList<OverloadPhase> Phases,
    long RootRssBaselineBytes,
    long RootRssAfterBytes,
    double SettleSeconds,
    IReadOnlyDictionary<string, string> RootEnvironment);
