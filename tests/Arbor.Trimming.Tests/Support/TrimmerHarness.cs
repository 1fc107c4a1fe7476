using Arbor.Testing;
using Arbor.Trimming.Bundles;
using Arbor.Trimming.Diagnostics;
using Arbor.Trimming.Options;

namespace Arbor.Trimming.Tests.Support;

/// <summary>
/// A trimmer over real bundle files in a temporary directory, with controlled time, private metrics
/// and a recording logger.
/// </summary>
public sealed class TrimmerHarness : IDisposable
{
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan MaxDebounceDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Rescan = TimeSpan.FromSeconds(30);

    private readonly TestMeterFactory _meters = new();
    private FeatureTrimmer? _trimmer;

    /// <param name="countMetricsOnly">Listen to the metrics without recording tags (allocation-free).</param>
    public TrimmerHarness(bool countMetricsOnly = false)
    {
        Metrics = new MetricRecorder(_meters, countMetricsOnly);
    }

    public TempDirectory Directory { get; } = new("arbor-trim-");

    public ManualTimeProvider Time { get; } = new();

    public MetricRecorder Metrics { get; }

    public RecordingLogger<FeatureTrimmer> Logger { get; } = new();

    public FeatureTrimmer Trimmer => _trimmer ?? throw new InvalidOperationException("Call Start first.");

    public string PathOf(string fileName) => Directory.Combine(fileName);

    /// <summary>Creates and starts a trimmer over the given bundle files (names in the temp directory, or absolute paths).</summary>
    public FeatureTrimmer Start(bool watch, params string[] bundleFiles) => Start(watch, reader: null, bundleFiles);

    internal FeatureTrimmer Start(bool watch, BundleFileReader? reader, params string[] bundleFiles)
    {
        var options = new FeatureTrimmerOptions
        {
            DebounceInterval = Debounce,
            MaxDebounceDelay = MaxDebounceDelay,
            RescanInterval = Rescan,
            WatchFiles = watch,
        };
        foreach (var file in bundleFiles)
        {
            options.BundlePaths.Add(Path.IsPathRooted(file) ? file : PathOf(file));
        }

        _trimmer = new FeatureTrimmer(
            Microsoft.Extensions.Options.Options.Create(options), new TrimmerMetrics(_meters), Logger, Time, reader ?? new BundleFileReader());
        _trimmer.Start();
        return _trimmer;
    }

    /// <summary>The features the current snapshot trims <paramref name="model"/> to (null: untrimmed).</summary>
    public IReadOnlyList<string>? AllowlistOf(string model, string? version = null) =>
        Trimmer.Snapshot.Lookup(model, version).Allowlist?.Features;

    public BundleStatus Status(string fileName) =>
        Trimmer.GetStatus().Bundles.Single(b => b.Path == Path.GetFullPath(Path.IsPathRooted(fileName) ? fileName : PathOf(fileName)));

    public void Dispose()
    {
        _trimmer?.Dispose();
        Metrics.Dispose();
        _meters.Dispose();
        Directory.Dispose();
    }
}
