using Arbor.Trimming.Tests.Support;

namespace Arbor.Trimming.Tests.Watching;

/// <summary>
/// The real file watcher on real files: each test changes the file the way deployments do, waits
/// (bounded) for the watcher to signal, then moves the debounce clock by hand.
/// </summary>
public sealed class BundleFileWatchingTests : IDisposable
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);
    private readonly TrimmerHarness _harness = new();

    [Fact]
    public void Watch_WriteThenRename_ReloadsTheNewFile()
    {
        var path = _harness.PathOf("homefeed.json");
        BundleFiles.Write(path, BundleFiles.Single("homefeed", "ctr", "1", "old"));
        using var signals = StartWatching(path);

        var temp = _harness.PathOf(".homefeed.json.tmp");
        BundleFiles.Write(temp, BundleFiles.Single("homefeed", "ctr", "2", "renamed"));
        File.Move(temp, path, overwrite: true);

        WaitThenDebounce(signals);
        Assert.Equal(["renamed"], _harness.AllowlistOf("ctr"));
    }

    [Fact]
    public void Watch_InPlaceWrite_ReloadsTheNewContent()
    {
        var path = _harness.PathOf("homefeed.json");
        BundleFiles.Write(path, BundleFiles.Single("homefeed", "ctr", "1", "old"));
        using var signals = StartWatching(path);

        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(0);
            stream.Write(BundleFiles.Bytes(BundleFiles.Single("homefeed", "ctr", "2", "in_place")));
        }

        WaitThenDebounce(signals);
        Assert.Equal(["in_place"], _harness.AllowlistOf("ctr"));
    }

    [Fact]
    public void Watch_ConfigMapDataSymlinkSwap_ReloadsAndResolvesTheNewTarget()
    {
        // The layout the kubelet projects a ConfigMap volume as.
        var root = _harness.Directory.Path;
        var first = Path.Combine(root, "..2026_01_01_00_00_00.1");
        Directory.CreateDirectory(first);
        BundleFiles.Write(Path.Combine(first, "homefeed.json"), BundleFiles.Single("homefeed", "ctr", "1", "first"));
        File.CreateSymbolicLink(Path.Combine(root, "..data"), Path.GetFileName(first));
        File.CreateSymbolicLink(Path.Combine(root, "homefeed.json"), "..data/homefeed.json");
        var path = Path.Combine(root, "homefeed.json");
        using var signals = StartWatching(path);
        Assert.Equal(["first"], _harness.AllowlistOf("ctr"));

        var second = Path.Combine(root, "..2026_01_02_00_00_00.2");
        Directory.CreateDirectory(second);
        BundleFiles.Write(Path.Combine(second, "homefeed.json"), BundleFiles.Single("homefeed", "ctr", "2", "second"));
        File.CreateSymbolicLink(Path.Combine(root, "..data_tmp"), Path.GetFileName(second));
        AtomicRename(Path.Combine(root, "..data_tmp"), Path.Combine(root, "..data"));
        Directory.Delete(first, recursive: true);

        WaitThenDebounce(signals);
        Assert.Equal(["second"], _harness.AllowlistOf("ctr"));
        Assert.Equal(Path.Combine(second, "homefeed.json"), _harness.Status(path).ResolvedPath);
    }

    [Fact]
    public void Watch_DeleteAndRecreate_KeepsTheMapThenLoadsTheNewFile()
    {
        var path = _harness.PathOf("homefeed.json");
        BundleFiles.Write(path, BundleFiles.Single("homefeed", "ctr", "1", "old"));
        using var signals = StartWatching(path);

        File.Delete(path);
        WaitThenDebounce(signals);
        Assert.Equal(["old"], _harness.AllowlistOf("ctr"));

        BundleFiles.Write(path, BundleFiles.Single("homefeed", "ctr", "2", "recreated"));
        WaitThenDebounce(signals);
        Assert.Equal(["recreated"], _harness.AllowlistOf("ctr"));
    }

    [Fact]
    public void Watch_Started_ReportsWatching()
    {
        var path = _harness.PathOf("homefeed.json");
        BundleFiles.Write(path, BundleFiles.Single("homefeed", "ctr", "1", "a"));

        using var signals = StartWatching(path);

        Assert.True(_harness.Status(path).Watching);
    }

    [Fact]
    public void Watch_DirectoryMissingAtStart_IsArmedByTheRescanOnceItExists()
    {
        var path = Path.Combine(_harness.Directory.Path, "later", "homefeed.json");
        using var signals = StartWatching(path);
        Assert.False(_harness.Status(path).Watching);

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _harness.Time.Advance(TrimmerHarness.Rescan);
        Assert.True(_harness.Status(path).Watching);

        BundleFiles.Write(path, BundleFiles.Single("homefeed", "ctr", "1", "late"));
        WaitThenDebounce(signals);
        Assert.Equal(["late"], _harness.AllowlistOf("ctr"));
    }

    /// <summary>rename(2) of a symbolic link over another, as the kubelet swaps <c>..data</c> (File.Move follows the link).</summary>
    internal static void AtomicRename(string source, string destination)
    {
        using var mv = System.Diagnostics.Process.Start("mv", ["-T", source, destination]);
        Assert.True(mv.WaitForExit(EventTimeout), "mv did not finish.");
        Assert.Equal(0, mv.ExitCode);
    }

    private SignalCounter StartWatching(string path)
    {
        _harness.Start(watch: true, path);
        return new SignalCounter(_harness.Trimmer.Source(path));
    }

    private void WaitThenDebounce(SignalCounter signals)
    {
        Assert.True(signals.WaitForSignal(EventTimeout), "The file watcher raised no event.");
        _harness.Time.Advance(TrimmerHarness.Debounce);
    }

    public void Dispose() => _harness.Dispose();
}
