namespace Arbor.Release.Environments;

/// <summary>
/// What an environment holds, as the release tooling last left it (<c>state.json</c>): the
/// published versions per model and the hash of every bundle file. Rewritten after every step.
/// </summary>
/// <param name="Environment">The environment's name.</param>
/// <param name="UpdatedAt">When it was recorded.</param>
/// <param name="Release">The release that last changed the environment; null when none did.</param>
/// <param name="Event">What that release last did (e.g. <c>step 2 applied</c>, <c>rolled back</c>).</param>
/// <param name="Models">Model → published versions, oldest first.</param>
/// <param name="Bundles">Bundle → SHA-256 of its file.</param>
public sealed record DeployedState(
    string Environment,
    DateTimeOffset UpdatedAt,
    string? Release,
    string? Event,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Models,
    IReadOnlyDictionary<string, string> Bundles)
{
    public const string SchemaV1 = "arbor.release_state/v1";

    /// <summary>Reads what the environment's directory holds now.</summary>
    public static DeployedState Capture(EnvironmentDirectory environment, DateTimeOffset now, string? release, string? @event)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var bundles = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var bundle in environment.ListBundles())
        {
            if (environment.BundleHash(bundle) is { } hash)
            {
                bundles[bundle] = hash;
            }
        }

        return new DeployedState(environment.Name, now, release, @event, environment.ListDeployed(), bundles);
    }
}
