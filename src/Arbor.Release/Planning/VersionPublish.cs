namespace Arbor.Release.Planning;

/// <summary>A model version folder a step publishes into an environment's model repository.</summary>
public sealed record VersionPublish(string Environment, string Model, string Version, string Source, string SignatureSha256);
