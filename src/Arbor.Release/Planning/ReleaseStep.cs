namespace Arbor.Release.Planning;

/// <summary>One step of a release, applied and verified as a unit.</summary>
/// <param name="Number">1-based position in the plan.</param>
/// <param name="Kind">What it does.</param>
/// <param name="Environments">The environments it changes (for canary analysis: canary, then the baseline).</param>
/// <param name="Title">One line for people.</param>
/// <param name="Bundles">The bundle files it writes.</param>
/// <param name="Publishes">The model version folders it publishes.</param>
public sealed record ReleaseStep(
    int Number,
    ReleaseStepKind Kind,
    IReadOnlyList<string> Environments,
    string Title,
    IReadOnlyList<BundleWrite> Bundles,
    IReadOnlyList<VersionPublish> Publishes);
