namespace Arbor.Cli.Cluster;

/// <summary>A running leaf partition: its process and the addresses it serves on.</summary>
public sealed record LeafProcess(string Partition, ManagedProcess Process, Uri GrpcAddress, Uri HttpAddress);
