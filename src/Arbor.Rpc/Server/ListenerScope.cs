namespace Arbor.Rpc.Server;

/// <summary>
/// Endpoint metadata: the listener an endpoint is served on, and whether it answers without the
/// listener's bearer token (health probes).
/// </summary>
public sealed record ListenerScope(ListenerKind Kind, bool Anonymous = false);
