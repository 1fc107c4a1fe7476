namespace Arbor.Release.Planning;

/// <summary>What an environment held when a release was planned: what a rollback returns to.</summary>
/// <param name="Environment">The environment.</param>
/// <param name="Models">The shipped models' published versions then (oldest first).</param>
/// <param name="Bundles">The affected bundles' file hashes then; null where the file did not exist.</param>
public sealed record EnvironmentSnapshot(
    string Environment,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Models,
    IReadOnlyDictionary<string, string?> Bundles);
