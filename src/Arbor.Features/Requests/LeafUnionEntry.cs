using Arbor.Features.Selection;

namespace Arbor.Features.Requests;

/// <summary>One model of a union leaf request: where it goes and the columns its trim keeps.</summary>
/// <param name="Model">The destination model.</param>
/// <param name="Version">The requested version; null or empty for the leaf's default.</param>
/// <param name="Decision">The model's trim (its allowlist, or every column on pass-through).</param>
public readonly record struct LeafUnionEntry(string Model, string? Version, TrimDecision Decision);
