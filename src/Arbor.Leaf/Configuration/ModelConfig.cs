using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;

namespace Arbor.Leaf.Configuration;

/// <summary>One model a partition serves.</summary>
/// <param name="Name">The model's folder in the repository.</param>
/// <param name="Policy">Which versions to serve.</param>
/// <param name="Batching">Overrides the partition's batching for this model.</param>
public sealed record ModelConfig(string Name, VersionPolicy Policy, BatchingOptions? Batching = null);
