namespace Arbor.Release.Planning;

/// <summary>
/// The ordered steps that ship model versions through the environments: root configs lead model
/// configs in every environment, the canary is analysed before production changes, and the
/// pending versions become <c>latest</c> only once leaves serve them.
/// </summary>
/// <param name="Id">The release's id (a file name in the journal).</param>
/// <param name="CreatedAt">When it was planned.</param>
/// <param name="Repository">The source model repository.</param>
/// <param name="Ships">The versions shipped.</param>
/// <param name="Steps">The steps, in order.</param>
/// <param name="Before">Each environment as it was (what a rollback restores).</param>
/// <param name="Warnings">What the planner noticed but did not refuse.</param>
public sealed record ReleasePlan(
    string Id,
    DateTimeOffset CreatedAt,
    string Repository,
    IReadOnlyList<PendingVersion> Ships,
    IReadOnlyList<ReleaseStep> Steps,
    IReadOnlyList<EnvironmentSnapshot> Before,
    IReadOnlyList<string> Warnings);
