using System.Collections.Frozen;

namespace Arbor.Leaf.Models;

/// <summary>The published versions of one model in a <see cref="ServingSnapshot"/>.</summary>
/// <param name="Name">The model.</param>
/// <param name="DefaultVersion">The greatest available version (used when a request names none); null when none is.</param>
/// <param name="Versions">The available versions by name.</param>
public sealed record PublishedModel(string Name, string? DefaultVersion, FrozenDictionary<string, ServableVersion> Versions);
