using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;

namespace Arbor.Leaf.Configuration;

/// <summary>One model a partition serves.</summary>
/// <param name="Name">The model's folder in the repository.</param>
/// <param name="Policy">Which versions to serve.</param>
/// <param name="Batching">Overrides the partition's batching for this model.</param>
/// <param name="Role">Production or experiment.</param>
/// <param name="Required">
/// Whether the partition is ready only while this model has a serving version; by default
/// production models are and experiments are not.
/// </param>
public sealed record ModelConfig(string Name, VersionPolicy Policy, BatchingOptions? Batching = null, ModelRole Role = ModelRole.Production, bool Required = true);
