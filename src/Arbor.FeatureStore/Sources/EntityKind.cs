namespace Arbor.FeatureStore.Sources;

/// <summary>Who a stored feature value belongs to. Stored as <c>user</c> / <c>candidate</c>.</summary>
public enum EntityKind
{
    /// <summary>Keyed by the request's user id.</summary>
    User,

    /// <summary>Keyed by candidate id (an item being ranked).</summary>
    Candidate,
}
