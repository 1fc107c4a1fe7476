namespace Arbor.Features.Requests;

/// <summary>The scalar fields of a <c>LeafScoreRequest</c>; <c>row_count</c> comes from the encoded batch.</summary>
/// <param name="Model">The destination model.</param>
/// <param name="Version">The requested version; null or empty for the leaf's default.</param>
/// <param name="RequestId">The request id carried for tracing; null or empty for none.</param>
public readonly record struct LeafRequestHeader(string Model, string? Version = null, string? RequestId = null);
