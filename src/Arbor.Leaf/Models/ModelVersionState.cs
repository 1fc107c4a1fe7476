namespace Arbor.Leaf.Models;

/// <summary>
/// The states of one model version (see docs/leaf.md):
/// Loading → Available → Unloading → Unloaded, or Loading → Failed.
/// </summary>
public enum ModelVersionState
{
    /// <summary>Being loaded and warmed up; not yet served.</summary>
    Loading,

    /// <summary>Loaded, warmed up and published: requests may use it.</summary>
    Available,

    /// <summary>Retired: no new requests; freed when its in-flight requests finish.</summary>
    Unloading,

    /// <summary>Freed.</summary>
    Unloaded,

    /// <summary>Could not be loaded (the error says why); never served.</summary>
    Failed,
}
