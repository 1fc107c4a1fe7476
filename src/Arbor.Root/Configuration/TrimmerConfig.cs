namespace Arbor.Root.Configuration;

/// <summary>
/// Shadow verification: a sample of trimmed leaf calls is sent again as a pair, trimmed and
/// untrimmed, each in a forward of its own at the leaf, off the response path, and the two calls'
/// scores are compared bit for bit (<see cref="FanOut.ShadowVerifier"/>). Reloaded with the file.
/// </summary>
public sealed record TrimmerConfig
{
    /// <summary>The share of trimmed calls, per model, verified by a shadow pair: 0 (off) to 1.</summary>
    public double ShadowFraction { get; init; } = 0.001;

    /// <summary>Shadow pairs in flight at once; a sample beyond it is dropped and counted, so a burst cannot pile shadows up.</summary>
    public int ShadowMaxInFlight { get; init; } = 4;
}
