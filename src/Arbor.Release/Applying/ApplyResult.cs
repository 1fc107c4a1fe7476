using Arbor.Release.Journal;

namespace Arbor.Release.Applying;

/// <summary>The release after an apply or rollback, whether it succeeded, and what happened.</summary>
public sealed record ApplyResult(ReleaseRecord Record, bool Succeeded, IReadOnlyList<string> Report);
