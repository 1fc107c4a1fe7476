namespace Arbor.Release.Journal;

/// <summary>Where a release stands.</summary>
public enum ReleaseStatus
{
    /// <summary>Planned; nothing applied yet.</summary>
    Planned,

    /// <summary>Some steps applied (a failed gate leaves it here, to retry or roll back).</summary>
    InProgress,

    /// <summary>Every step applied and verified.</summary>
    Completed,

    /// <summary>Rolled back: every environment holds what it held before the release.</summary>
    RolledBack,

    /// <summary>Replaced by a newer plan before any step was applied.</summary>
    Abandoned,
}
