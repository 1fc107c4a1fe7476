namespace Arbor.Root.Configuration;

/// <summary>A parsed root configuration and the SHA-256 of the file bytes it came from.</summary>
public sealed record LoadedRootConfig(RootConfig Config, byte[] ContentHash);
