using System.Security.Cryptography;
using Arbor.Release.Environments;
using Arbor.Release.Publishing;
using Arbor.Signatures.Bundles;
using Arbor.Testing;

namespace Arbor.Release.Tests.Publishing;

public sealed class AtomicPublisherTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task PublishDirectory_WatchedWhileVersionsArrive_NeverShowsAPartialVersion()
    {
        const int versions = 25;
        var env = new EnvironmentDirectory("canary", _dir.Combine("canary"));
        var sources = new List<(string Path, Dictionary<string, byte[]> Hashes)>();
        for (var v = 1; v <= versions; v++)
        {
            var source = _dir.Combine("src", v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(Path.Combine(source, "assets"));
            var hashes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (name, size) in new[] { ("model.pt", 512 * 1024), ("golden.json", 64 * 1024), ("assets/vocab.txt", 128 * 1024) })
            {
                var bytes = new byte[size];
                new Random(v * 31 + size).NextBytes(bytes);
                File.WriteAllBytes(Path.Combine(source, name), bytes);
                hashes[name] = SHA256.HashData(bytes);
            }

            sources.Add((source, hashes));
        }

        var done = 0;
        var observations = 0;
        var complete = 0;
        var watching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observer = Task.Run(() =>
        {
            // Bounded: stops when the publisher is done, or after a fixed number of looks.
            for (var look = 0; look < 200_000 && Volatile.Read(ref done) == 0; look++)
            {
                foreach (var version in env.ListVersions("m"))
                {
                    var expected = sources[int.Parse(version, System.Globalization.CultureInfo.InvariantCulture) - 1].Hashes;
                    foreach (var (name, hash) in expected)
                    {
                        var bytes = File.ReadAllBytes(Path.Combine(env.VersionDirectory("m", version), name));
                        Assert.Equal(hash, SHA256.HashData(bytes));
                    }

                    complete++;
                }

                observations++;
                watching.TrySetResult();
            }
        }, TestContext.Current.CancellationToken);

        // The publisher starts once the observer is looking, so the two overlap.
        await Task.WhenAny(watching.Task, observer).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        for (var v = 1; v <= versions; v++)
        {
            AtomicPublisher.PublishDirectory(sources[v - 1].Path, env.VersionDirectory("m", v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Volatile.Write(ref done, 1);
        await observer;

        Assert.True(observations > 0);
        Assert.Equal(versions, env.ListVersions("m").Count);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(env.ModelsDirectory, "m"), ".*"));
    }

    [Fact]
    public async Task WriteFile_ReadWhileRewritten_AlwaysReadsAWholeBundle()
    {
        var path = _dir.Combine("root", "bundles", "homefeed.json");
        var documents = Enumerable.Range(1, 40).Select(i => BundleJson.ToUtf8Bytes(new BundleDocument(
            BundleDocument.SchemaV1, "homefeed", DateTimeOffset.UnixEpoch,
            new Dictionary<string, BundleModel>
            {
                ["m"] = new(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new Dictionary<string, BundleModelVersion>
                {
                    [i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new(
                        [.. Enumerable.Range(0, 2000 + i).Select(f => $"feature_{f:00000}")], new string('a', 64)),
                }),
            }))).ToList();
        AtomicPublisher.WriteFile(path, documents[0]);
        var done = 0;
        var reads = 0;
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(() =>
        {
            for (var look = 0; look < 100_000 && Volatile.Read(ref done) == 0; look++)
            {
                var parsed = BundleJson.Parse(File.ReadAllBytes(path));
                Assert.Equal(2000 + int.Parse(parsed.Models["m"].Latest, System.Globalization.CultureInfo.InvariantCulture), parsed.Models["m"].Versions.Single().Value.Features.Count);
                reads++;
                reading.TrySetResult();
            }
        }, TestContext.Current.CancellationToken);

        await Task.WhenAny(reading.Task, reader).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        foreach (var document in documents.Skip(1))
        {
            AtomicPublisher.WriteFile(path, document);
        }

        Volatile.Write(ref done, 1);
        await reader;

        Assert.True(reads > 0);
        Assert.Equal(documents[^1], File.ReadAllBytes(path));
        Assert.Single(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void PublishDirectory_DestinationExists_RefusesAndLeavesItAlone()
    {
        var source = Directory.CreateDirectory(_dir.Combine("src")).FullName;
        File.WriteAllText(Path.Combine(source, "model.pt"), "new");
        var destination = Directory.CreateDirectory(_dir.Combine("env", "m", "1")).FullName;
        File.WriteAllText(Path.Combine(destination, "model.pt"), "old");

        Assert.Throws<IOException>(() => AtomicPublisher.PublishDirectory(source, destination));

        Assert.Equal("old", File.ReadAllText(Path.Combine(destination, "model.pt")));
        Assert.Single(Directory.EnumerateFileSystemEntries(_dir.Combine("env", "m")));
    }

    [Fact]
    public void RemoveDirectory_Version_VanishesWithoutLeavingHiddenLitter()
    {
        var version = Directory.CreateDirectory(_dir.Combine("env", "m", "1")).FullName;
        File.WriteAllText(Path.Combine(version, "model.pt"), "x");

        Assert.True(AtomicPublisher.RemoveDirectory(version));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Combine("env", "m")));
        Assert.False(AtomicPublisher.RemoveDirectory(version));
    }

    [Fact]
    public void RemoveLitter_AfterACrashMidCopy_DeletesOnlyTemporaryEntries()
    {
        var parent = Directory.CreateDirectory(_dir.Combine("env", "m")).FullName;
        Directory.CreateDirectory(Path.Combine(parent, AtomicPublisher.TemporaryMarker + "3.partial.abc"));
        Directory.CreateDirectory(Path.Combine(parent, "2"));

        Assert.Equal(1, AtomicPublisher.RemoveLitter(parent));

        Assert.Equal(["2"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
    }
}
