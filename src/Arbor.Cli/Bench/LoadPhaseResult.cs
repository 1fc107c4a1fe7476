namespace Arbor.Cli.Bench;

/// <summary>What one load phase produced, per mode.</summary>
/// <param name="Tallies">Per mode: latencies, errors, parity.</param>
/// <param name="Elapsed">Wall time of the phase, until the last response.</param>
/// <param name="Offered">Requests offered (per mode in the open loop).</param>
/// <param name="Shed">Requests not sent because too many were in flight.</param>
public sealed record LoadPhaseResult(IReadOnlyDictionary<BenchMode, ModeTally> Tallies, TimeSpan Elapsed, long Offered, long Shed);
