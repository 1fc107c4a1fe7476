namespace Arbor.Cli.Bench;

/// <summary>The report of <c>arbor bench --scenario faults</c> (<see cref="FaultBench"/>).</summary>
/// <param name="Scenario">The workload of the steady load.</param>
/// <param name="Callers">Closed-loop callers of the steady load.</param>
/// <param name="FaultSeconds">Seconds of each window (before, during, after).</param>
/// <param name="FeatureStore">The root's feature store: postgres, or sqlite when no PostgreSQL server could be started.</param>
/// <param name="Cores">Processors of the machine.</param>
/// <param name="LoadAverageBefore">The machine's load averages (1, 5, 15 min) at the start.</param>
/// <param name="LoadAverageAfter">The same at the end.</param>
/// <param name="Faults">One entry per fault, in the order they ran.</param>
public sealed record FaultReport(
    string Scenario, int Callers, double FaultSeconds, string FeatureStore, int Cores, string LoadAverageBefore, string LoadAverageAfter, IReadOnlyList<FaultResult> Faults)
{
    public string Schema => "arbor.bench.faults/v1";
}
