using Arbor.Testing;
using Arbor.Watching;

namespace Arbor.Trimming.Tests.Watching;

/// <summary>
/// The one watched-source building block on its own: debounce and rescans on a hand-moved clock,
/// real file system events on real files (waited for with a bound, never slept on), checks that
/// never overlap and a failing check that stops nothing. Its consumers (bundles, the root config,
/// TLS files, the model repository) are tested with it in their own suites.
/// </summary>
public sealed class SourceWatcherTests : IDisposable
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly TempDirectory _directory = new();
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Signal_ABurst_IsCheckedOnceAfterTheDebounce()
    {
        var checks = 0;
        using var watcher = new SourceWatcher(() => [], () => checks++, Options(watch: false), _time);
        watcher.Start();

        for (var i = 0; i < 10; i++)
        {
            watcher.Signal();
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(0, checks);
        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(1, checks);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, checks);
    }

    [Fact]
    public void Signal_ABurstThatNeverPauses_IsCheckedAtTheMaximumDelay()
    {
        var checks = 0;
        using var watcher = new SourceWatcher(() => [], () => checks++, Options(watch: false), _time);
        watcher.Start();

        // A signal every 200 ms never leaves the 250 ms debounce quiet; the 2 s bound still holds.
        var elapsed = TimeSpan.Zero;
        while (checks == 0 && elapsed < TimeSpan.FromSeconds(10))
        {
            watcher.Signal();
            _time.Advance(TimeSpan.FromMilliseconds(200));
            elapsed += TimeSpan.FromMilliseconds(200);
        }

        Assert.Equal(1, checks);
        Assert.Equal(TimeSpan.FromSeconds(2), elapsed);
    }

    [Fact]
    public void Rescan_WithoutAnyEvent_ChecksEveryInterval()
    {
        var checks = 0;
        using var watcher = new SourceWatcher(() => [], () => checks++, Options(watch: false, rescan: TimeSpan.FromSeconds(5)), _time);
        watcher.Start();

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, checks);
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(3, checks);
    }

    [Fact]
    public void Check_ThatThrows_IsReported_AndTheNextCheckStillRuns()
    {
        var path = Path.Combine(_directory.Path, "value.txt");
        File.WriteAllText(path, "1");
        var good = 0;
        var detector = new ContentChangeDetector();
        var failures = new List<Exception>();
        void Check()
        {
            var content = File.ReadAllBytes(path);
            if (detector.HasChanged(content))
            {
                good = int.Parse(System.Text.Encoding.UTF8.GetString(content), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        using var watcher = new SourceWatcher(() => [path], Check, Options(watch: false, rescan: TimeSpan.FromSeconds(5)), _time, failures.Add);
        watcher.CheckNow();
        watcher.Start();

        File.WriteAllText(path, "not a number");
        _time.Advance(TimeSpan.FromSeconds(5));
        File.WriteAllText(path, "2");
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.IsType<FormatException>(Assert.Single(failures));
        Assert.Equal(2, good);
        Assert.Equal(3, watcher.Checks);
    }

    [Fact]
    public async Task Checks_FromManyThreads_NeverOverlap()
    {
        var running = 0;
        var overlaps = 0;
        using var watcher = new SourceWatcher(
            () => [],
            () =>
            {
                if (Interlocked.Increment(ref running) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                Thread.SpinWait(10_000);
                Interlocked.Decrement(ref running);
            },
            Options(watch: false));

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
            {
                watcher.CheckNow();
            }
        })));

        Assert.Equal(0, overlaps);
        Assert.Equal(400, watcher.Checks);
    }

    [Fact]
    public void Watch_AFileWrittenInAFolderOfARecursiveSource_SignalsACheck()
    {
        var repository = Path.Combine(_directory.Path, "models");
        Directory.CreateDirectory(Path.Combine(repository, "ctr", "1"));
        using var signalled = new SemaphoreSlim(0);
        using var watcher = new SourceWatcher(() => [repository], () => { }, Options(watch: true, recursive: true), _time);
        watcher.Signaled += () => signalled.Release();
        watcher.Start();

        Directory.CreateDirectory(Path.Combine(repository, "ctr", "2"));
        File.WriteAllText(Path.Combine(repository, "ctr", "2", "model.pt"), "weights");

        Assert.True(signalled.Wait(EventTimeout, TestContext.Current.CancellationToken), "no file system event reached the watcher");
        Assert.Equal([repository], watcher.WatchedFolders);
        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.True(watcher.Checks >= 1);
    }

    [Fact]
    public void Watch_AFolderCreatedAfterStart_IsWatchedFromTheNextRescan()
    {
        var repository = Path.Combine(_directory.Path, "models");
        using var watcher = new SourceWatcher(() => [repository], () => { }, Options(watch: true, recursive: true, rescan: TimeSpan.FromSeconds(5)), _time);
        watcher.Start();
        Assert.Equal([_directory.Path], watcher.WatchedFolders);

        Directory.CreateDirectory(repository);
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal([repository], watcher.WatchedFolders);
        Assert.True(watcher.IsWatching);
    }

    [Fact]
    public void Watch_AConfigMapDataSwap_SignalsAndFollowsTheNewTarget()
    {
        // The layout the kubelet projects a ConfigMap or Secret volume as.
        var root = _directory.Path;
        var first = Path.Combine(root, "..2026_01_01_00_00_00.1");
        Directory.CreateDirectory(first);
        File.WriteAllText(Path.Combine(first, "config.json"), "{}");
        File.CreateSymbolicLink(Path.Combine(root, "..data"), Path.GetFileName(first));
        var path = Path.Combine(root, "config.json");
        File.CreateSymbolicLink(path, "..data/config.json");
        using var signalled = new SemaphoreSlim(0);
        using var watcher = new SourceWatcher(() => [path], () => { }, Options(watch: true), _time);
        watcher.Signaled += () => signalled.Release();
        watcher.Start();
        Assert.Equal(new[] { root, first }.Order(), watcher.WatchedFolders.Order());

        var second = Path.Combine(root, "..2026_01_02_00_00_00.2");
        Directory.CreateDirectory(second);
        File.WriteAllText(Path.Combine(second, "config.json"), """{"v": 2}""");
        File.CreateSymbolicLink(Path.Combine(root, "..data_tmp"), Path.GetFileName(second));
        BundleFileWatchingTests.AtomicRename(Path.Combine(root, "..data_tmp"), Path.Combine(root, "..data"));

        Assert.True(signalled.Wait(EventTimeout, TestContext.Current.CancellationToken), "the ..data swap raised no event");
        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(new[] { root, second }.Order(), watcher.WatchedFolders.Order());
    }

    public void Dispose() => _directory.Dispose();

    private static WatchOptions Options(bool watch, TimeSpan? rescan = null, bool recursive = false) =>
        new() { RescanInterval = rescan ?? Hour, Watch = watch, Recursive = recursive };
}
