using System.Collections.Concurrent;
using Arbor.Trimming.Bundles;
using Arbor.Trimming.Tests.Support;

namespace Arbor.Trimming.Tests.Bundles;

public sealed class BundleFileReaderTests : IDisposable
{
    private readonly TrimmerHarness _harness = new();

    [Fact]
    public void Read_ContentDiffersBetweenTwoReads_IsUnstable()
    {
        var reads = new Queue<byte[]>([[1, 2], [1, 2, 3]]);
        var reader = new BundleFileReader(_ => reads.Dequeue());

        var result = reader.Read("any");

        Assert.Equal(BundleReadFailure.Unstable, result.Failure);
    }

    [Fact]
    public void Read_MissingFile_IsMissing()
    {
        var result = new BundleFileReader().Read(_harness.PathOf("absent.json"));

        Assert.Equal(BundleReadFailure.Missing, result.Failure);
    }

    [Fact]
    public void Read_Directory_IsUnreadable()
    {
        System.IO.Directory.CreateDirectory(_harness.PathOf("dir.json"));

        var result = new BundleFileReader().Read(_harness.PathOf("dir.json"));

        Assert.Equal(BundleReadFailure.Unreadable, result.Failure);
    }

    [Fact]
    public void Reload_FileChangingWhileRead_KeepsTheMapAndRetriesAfterTheDebounce()
    {
        var path = _harness.PathOf("homefeed.json");
        BundleFiles.Write(path, BundleFiles.Single("homefeed", "ctr", "1", "a"));
        var scripted = new ConcurrentQueue<byte[]>();
        _harness.Start(watch: false, new BundleFileReader(p => scripted.TryDequeue(out var bytes) ? bytes : File.ReadAllBytes(p)), "homefeed.json");
        var complete = BundleFiles.Bytes(BundleFiles.Single("homefeed", "ctr", "2", "b"));
        scripted.Enqueue(complete[..(complete.Length / 2)]);
        scripted.Enqueue(complete);

        _harness.Trimmer.Source(path).Signal();
        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(["a"], _harness.AllowlistOf("ctr"));
        Assert.Equal(1, _harness.Metrics.Sum("arbor.trimmer.reload_failures", "homefeed", "unstable"));

        File.WriteAllBytes(path, complete);
        _harness.Time.Advance(TrimmerHarness.Debounce);

        Assert.Equal(["b"], _harness.AllowlistOf("ctr"));
    }

    public void Dispose() => _harness.Dispose();
}
