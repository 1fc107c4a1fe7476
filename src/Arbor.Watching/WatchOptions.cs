namespace Arbor.Watching;

/// <summary>How a <see cref="SourceWatcher"/> looks at its source.</summary>
public sealed record WatchOptions
{
    /// <summary>How often the source is checked whatever the file system says (events can be lost, or never come on some mounts).</summary>
    public required TimeSpan RescanInterval { get; init; }

    /// <summary>Whether file system events trigger a check too (within <see cref="Debounce"/>); false: rescans only.</summary>
    public bool Watch { get; init; } = true;

    /// <summary>A burst of events is checked once no event has come for this long.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A burst that never pauses is checked at most this long after its first event.</summary>
    public TimeSpan MaxDebounceDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the folders watched include their subfolders (a model repository); false for single files.</summary>
    public bool Recursive { get; init; }
}
