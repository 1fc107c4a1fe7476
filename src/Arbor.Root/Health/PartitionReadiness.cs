namespace Arbor.Root.Health;

/// <summary>One routed leaf partition: ready while at least one of its replicas is.</summary>
/// <param name="Partition">The partition's name.</param>
/// <param name="Replicas">Each replica's last check.</param>
/// <param name="State">Ready or not, with a summary and since when.</param>
public sealed record PartitionReadiness(string Partition, IReadOnlyList<ReplicaReadiness> Replicas, DependencyReadiness State);
