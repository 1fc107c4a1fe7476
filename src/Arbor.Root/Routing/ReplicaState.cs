namespace Arbor.Root.Routing;

/// <summary>One replica of a <see cref="ReplicaSet{T}"/> as it stands: for admin views, never for routing.</summary>
/// <param name="Endpoint">The replica.</param>
/// <param name="Ejected">Whether it takes no live traffic now (failed <see cref="ReplicaSet{T}.FailuresToEject"/> calls in a row, not yet back).</param>
/// <param name="Ejections">How many times it was ejected since it joined the set.</param>
/// <param name="Calls">Live calls it was picked for since it joined the set (health checks not included).</param>
/// <param name="InFlight">Calls it has in flight.</param>
public sealed record ReplicaState<T>(T Endpoint, bool Ejected, long Ejections, long Calls, int InFlight);
