namespace Arbor.Signatures.Bundles;

/// <summary>One partition: its production model, every model it serves and, optionally, the versions to ship.</summary>
/// <param name="Production">The partition's production model (the others are experiments).</param>
/// <param name="Models">Every model of the partition.</param>
/// <param name="Versions">Per model, the versions to ship; a model absent here ships every version in the repository.</param>
public sealed record Partition(string Production, IReadOnlyList<string> Models, IReadOnlyDictionary<string, IReadOnlyList<string>> Versions);
