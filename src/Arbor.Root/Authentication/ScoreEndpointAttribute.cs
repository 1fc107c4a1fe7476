namespace Arbor.Root.Authentication;

/// <summary>
/// Marks the Score endpoints (gRPC and JSON): a Score call refused for its credential is counted
/// in <c>arbor.root.requests</c> like every other Score outcome.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ScoreEndpointAttribute : Attribute;
