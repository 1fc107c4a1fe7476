namespace Arbor.Release.Planning;

/// <summary>How one model appears in a composed bundle.</summary>
/// <param name="Model">The model.</param>
/// <param name="Versions">The versions with an allowlist.</param>
/// <param name="Latest">The version requests that name none are trimmed for (one of <paramref name="Versions"/>).</param>
/// <param name="WidenLatestWith">
/// Versions whose features are added to the latest allowlist while leaves may serve either by
/// default (a superset is always safe to send; a missing feature is not).
/// </param>
public sealed record ComposedModel(string Model, IReadOnlyList<VersionSignature> Versions, string Latest, IReadOnlyList<VersionSignature> WidenLatestWith);
