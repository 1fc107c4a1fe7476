namespace Arbor.FeatureStore.Import;

/// <summary>What an import wrote.</summary>
/// <param name="Entities">Entity lines read (blank lines not counted).</param>
/// <param name="Users">User lines.</param>
/// <param name="Candidates">Candidate lines.</param>
/// <param name="Values">Feature values written.</param>
/// <param name="Deleted">Features removed by a <c>null</c> value.</param>
public sealed record FeatureImportResult(long Entities, long Users, long Candidates, long Values, long Deleted);
