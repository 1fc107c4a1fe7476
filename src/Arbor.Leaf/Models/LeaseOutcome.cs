namespace Arbor.Leaf.Models;

/// <summary>The result of asking a partition for a model version.</summary>
public enum LeaseOutcome
{
    Acquired,

    /// <summary>The partition does not serve this model.</summary>
    UnknownModel,

    /// <summary>The model is served but not this version (or none is available yet).</summary>
    UnknownVersion,

    /// <summary>The model is configured but has no available version yet.</summary>
    NotReady,
}
