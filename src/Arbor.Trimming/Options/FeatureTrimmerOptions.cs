namespace Arbor.Trimming.Options;

/// <summary>Configuration of the Feature Trimmer (section <c>Arbor:Trimmer</c> by convention).</summary>
public sealed class FeatureTrimmerOptions
{
    /// <summary>The configuration section conventionally bound to these options.</summary>
    public const string SectionName = "Arbor:Trimmer";

    /// <summary>
    /// The bundle mapping files (<c>arbor.bundle/v1</c>) of the active bundles, one per bundle. A path
    /// may be a symbolic link (e.g. a Kubernetes ConfigMap projection); relative paths are resolved
    /// against the working directory.
    /// </summary>
    public IList<string> BundlePaths { get; } = [];

    /// <summary>Quiet time after a file event before the bundle is re-read (bursts collapse into one reload).</summary>
    public TimeSpan DebounceInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest a reload is postponed by a continuous burst of events.</summary>
    public TimeSpan MaxDebounceDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often every bundle's content hash is checked, in case the file watcher missed an event.</summary>
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether to watch the bundle directories for changes (the rescan runs either way).</summary>
    public bool WatchFiles { get; set; } = true;
}
