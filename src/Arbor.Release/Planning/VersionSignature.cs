namespace Arbor.Release.Planning;

/// <summary>What a bundle needs of one model version's signature: its allowlist and its hash.</summary>
public sealed record VersionSignature(string Model, string Version, IReadOnlyList<string> Features, string Sha256);
