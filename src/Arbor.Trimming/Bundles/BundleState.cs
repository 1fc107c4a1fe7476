namespace Arbor.Trimming.Bundles;

/// <summary>Where a configured bundle stands.</summary>
public enum BundleState
{
    /// <summary>Not read yet.</summary>
    Pending,

    /// <summary>The active map matches the file on disk.</summary>
    Active,

    /// <summary>The last read failed (missing, unreadable, invalid): the previous map stays active.</summary>
    Stale,

    /// <summary>No read has ever succeeded: the bundle's models go untrimmed.</summary>
    Failed,
}
