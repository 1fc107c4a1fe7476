namespace Arbor.Release.Journal;

/// <summary>Where a release step stands.</summary>
public enum StepStatus
{
    Pending,

    /// <summary>Applied and its gate passed.</summary>
    Applied,

    /// <summary>Applied (or partly) but its gate failed, or its action failed: retry it or roll back.</summary>
    Failed,
}
