using Arbor.Features.Selection;
using Arbor.Trimming.Tests.Support;

namespace Arbor.Trimming.Tests.Concurrency;

public sealed class SnapshotSwapStressTests : IDisposable
{
    private const int Generations = 120;
    private readonly TrimmerHarness _harness = new();

    [Fact]
    public async Task Readers_WhileBundlesSwapContinuously_NeverSeeATornOrMixedSnapshot()
    {
        var ct = TestContext.Current.CancellationToken;
        var paths = new[] { _harness.PathOf("alpha.json"), _harness.PathOf("beta.json") };
        WriteGeneration(paths[0], "alpha", 1);
        WriteGeneration(paths[1], "beta", 1);
        _harness.Start(watch: false, paths);
        var writerDone = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() => Read(failures, () => Volatile.Read(ref writerDone) == 1), ct)).ToArray();
        var writer = Task.Run(
            () =>
            {
                try
                {
                    for (var generation = 2; generation <= Generations; generation++)
                    {
                        for (var b = 0; b < paths.Length; b++)
                        {
                            if (generation % 17 == 0)
                            {
                                // A broken write in the middle: the previous generation must stay whole.
                                File.WriteAllText(paths[b], "{\"schema\":");
                                _harness.Trimmer.Source(paths[b]).Signal();
                                _harness.Time.Advance(TrimmerHarness.Debounce);
                            }

                            WriteGeneration(paths[b], b == 0 ? "alpha" : "beta", generation);
                            _harness.Trimmer.Source(paths[b]).Signal();
                            _harness.Time.Advance(TrimmerHarness.Debounce);
                        }
                    }
                }
                finally
                {
                    Volatile.Write(ref writerDone, 1);
                }
            },
            ct);

        await writer;
        var checks = await Task.WhenAll(readers);

        Assert.Empty(failures);
        Assert.All(checks, c => Assert.True(c > 0));
        Assert.Equal([$"alpha{Generations}_0", $"alpha{Generations}_1", $"alpha{Generations}_2"], _harness.AllowlistOf("alpha_main")!.Take(3));
        Assert.Equal($"{Generations}", _harness.Trimmer.Snapshot.Lookup("beta_shadow", null).AllowlistVersion);
    }

    private int Read(System.Collections.Concurrent.ConcurrentQueue<string> failures, Func<bool> done)
    {
        var checks = 0;
        long lastGeneration = 0;
        while (!done() || checks == 0)
        {
            var snapshot = _harness.Trimmer.Snapshot;
            if (snapshot.Generation < lastGeneration)
            {
                failures.Enqueue($"generation went back from {lastGeneration} to {snapshot.Generation}");
            }

            lastGeneration = snapshot.Generation;
            foreach (var bundle in (ReadOnlySpan<string>)["alpha", "beta"])
            {
                var main = _harness.Trimmer.Lookup(snapshot, $"{bundle}_main", null);
                var shadow = _harness.Trimmer.Lookup(snapshot, $"{bundle}_shadow", null);
                var exact = _harness.Trimmer.Lookup(snapshot, $"{bundle}_main", main.AllowlistVersion);
                if (main.AllowlistVersion != shadow.AllowlistVersion)
                {
                    failures.Enqueue($"{bundle}: one snapshot mixes generations {main.AllowlistVersion} and {shadow.AllowlistVersion}");
                }

                if (exact.Outcome != TrimOutcome.Exact || !ReferenceEquals(exact.Allowlist, main.Allowlist))
                {
                    failures.Enqueue($"{bundle}: version {main.AllowlistVersion} does not resolve to the latest allowlist");
                }

                var generation = int.Parse(main.AllowlistVersion!, System.Globalization.CultureInfo.InvariantCulture);
                if (!main.Allowlist!.Features.SequenceEqual(Features(bundle, generation)) || !shadow.Allowlist!.Features.SequenceEqual(Features(bundle, generation)))
                {
                    failures.Enqueue($"{bundle}: torn allowlist for generation {generation}");
                }
            }

            checks++;
        }

        return checks;
    }

    private static void WriteGeneration(string path, string bundle, int generation)
    {
        var version = $"{generation}";
        var features = Features(bundle, generation);
        BundleFiles.Write(path, BundleFiles.Document(
            bundle,
            ($"{bundle}_main", version, [(version, features)]),
            ($"{bundle}_shadow", version, [(version, features)])));
    }

    // A different count and names per generation, so a torn read cannot look whole.
    private static string[] Features(string bundle, int generation) =>
        [.. Enumerable.Range(0, 3 + (generation % 5)).Select(i => $"{bundle}{generation}_{i}").Order(StringComparer.Ordinal)];

    public void Dispose() => _harness.Dispose();
}
