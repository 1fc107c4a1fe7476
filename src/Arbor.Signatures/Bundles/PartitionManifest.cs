namespace Arbor.Signatures.Bundles;

/// <summary>
/// Which models belong to which bundle (leaf partition): <c>partitions.json</c> at the root of a
/// model repository, schema <c>arbor.partitions/v1</c>.
/// </summary>
public sealed record PartitionManifest(string Schema, IReadOnlyDictionary<string, Partition> Partitions)
{
    public const string SchemaV1 = "arbor.partitions/v1";

    public const string FileName = "partitions.json";
}
