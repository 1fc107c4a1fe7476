namespace Arbor.Cli.Bench;

/// <summary>The overload benchmark's result: the capacity measured, each load level per root, each root's memory.</summary>
/// <param name="MaxCandidatesPerSecond">Goodput of the closed-loop capacity run (the maximum).</param>
/// <param name="SustainablePerSecond">Requests per second the capacity run completed (the 1× rate).</param>
/// <param name="Phases">One entry per load level, round and root.</param>
/// <param name="Roots">Each root's settings and resident set.</param>
/// <param name="SettleSeconds">Seconds each root was left idle after its last load before its memory was read.</param>
/// <param name="Rounds">Rounds of every load level over all roots.</param>
/// <param name="LoadAverage">The machine's load averages (1, 5, 15 min) at the end.</param>
public sealed record OverloadReport(
    double MaxCandidatesPerSecond,
    double SustainablePerSecond,
    IReadOnlyList<OverloadPhase> Phases,
    IReadOnlyList<OverloadRoot> Roots,
    double SettleSeconds,
    int Rounds,
    string LoadAverage)
{
    public string Schema => "arbor.bench.overload/v1";
}
