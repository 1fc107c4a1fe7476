namespace Arbor.Release.Journal;

/// <summary>The journal entry of one step.</summary>
/// <param name="Number">The step's number.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="At">When it last changed.</param>
/// <param name="Report">What the action and the gate reported.</param>
public sealed record StepRecord(int Number, StepStatus Status, DateTimeOffset? At, IReadOnlyList<string> Report);
