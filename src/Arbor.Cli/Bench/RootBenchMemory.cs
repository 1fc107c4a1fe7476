using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.Root.Configuration;

namespace Arbor.Cli.Bench;

/// <summary>
/// The memory phase of <c>arbor bench root</c> (<c>--cached-entities</c>): one trimmed root over a
/// store with enough distinct candidates (the sample candidates copied under new ids), its cache
/// large enough and its entries long-lived enough that nothing is evicted or expires. For each level,
/// in rising order, requests for one user and not yet cached candidates fill the cache until it holds
/// that many entities; the root then rests until its idle memory release has run its forced, compacting
/// full collection, and its resident set (<c>/proc</c>) and managed heap (<c>/admin/stats</c>) are read.
/// The first reading is taken after a single one-candidate request, so the per-entity figures are the
/// growth between readings over the entities added.
/// </summary>
public static partial class RootBench
{
    /// <summary>Candidates per warming request (the bench root's limit is 2,000).</summary>
    private const int WarmBatch = 1000;

    /// <summary>The root's idle memory release after this many seconds without requests: the forced collection before each reading.</summary>
    private const int ReleaseAfterIdleSeconds = 2;

    private static readonly TimeSpan CollectionTimeout = TimeSpan.FromSeconds(60);

    private static async Task<RootBenchReport> RunMemoryAsync(
        Processes cluster, SampleArtefacts artefacts, RootBenchOptions options, BenchProgress progress, string loadAtStart, Stopwatch clock, CancellationToken cancellationToken)
    {
        var levels = options.CachedEntities.Order().ToList();
        var (users, originals) = ScoreWorkload.ReadIds(Path.Combine(artefacts.Repository, "features.jsonl"));
        // One user and (level - 1) candidates make a level's entities.
        var copies = (int)Math.Ceiling((double)Math.Max(levels[^1] - 1, 1) / originals.Count);
        var store = copies == 1 ? artefacts.FeatureStore : await artefacts.StoreWithCandidateCopiesAsync(options.WorkDirectory, copies, progress.Step, cancellationToken);
        var candidates = Enumerable.Range(0, copies).SelectMany(copy => originals.Select(id => CandidateCopies.CopyId(id, copy))).ToList();

        var executable = ArborExecutable.Current();
        var ports = new PortAllocator();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var leafByPartition = await StartLeavesAsync(cluster, artefacts, options, executable, ports, probe, progress, cancellationToken);
        var routing = ServingCluster.RootConfigFor(artefacts with { FeatureStore = store }, BenchMode.Trimmed, leafByPartition);
        routing = routing with
        {
            Limits = ServingCluster.BenchLimits,
            Cache = routing.Cache with { MaxBytes = 64L * 1024 * 1024 * 1024, TtlSeconds = 24 * 3600 },
            Admission = routing.Admission with { ReleaseMemoryAfterIdleSeconds = ReleaseAfterIdleSeconds },
        };
        var config = Path.Combine(options.WorkDirectory, "root-memory.json");
        await File.WriteAllTextAsync(config, RootConfigLoader.Serialize(routing), cancellationToken);
        var root = StartRoot(executable, RootBuild.Current, BenchMode.Trimmed, "memory", config, ports, adminListener: true);
        cluster.Roots.Add(root);
        await root.Process.WaitUntilReadyAsync(probe, new Uri(root.AdminAddress, "/readyz"), ReadyTimeout, cancellationToken);
        progress.Step($"memory root ready after {clock.Elapsed.TotalSeconds:F0} s; store {candidates.Count:N0} candidates + {users.Count} users");

        var user = users[0];
        var warmed = 0;
        var errors = 0;
        var readings = new List<RootMemoryLevel>();
        foreach (var level in levels.Prepend(2))
        {
            var target = Math.Max(level - 1, 1);
            var batches = new List<ScoreRequest>();
            for (var start = warmed; start < target; start += WarmBatch)
            {
                var request = new ScoreRequest { Surface = options.Scenario.Surface, UserId = user, RequestId = $"bench-memory-{start}" };
                request.Candidates.Add(candidates.Skip(start).Take(Math.Min(WarmBatch, target - start)).Select(id => new Candidate { Id = id }));
                batches.Add(request);
            }

            var rootUnderTest = new RootUnderTest("memory", RootBuild.Current.Name, BenchMode.Trimmed, root);
            var window = await RunWindowAsync(rootUnderTest, batches, concurrency: 2, cancellationToken);
            errors += window.Errors;
            warmed = Math.Max(warmed, target);
            var reading = await ReadAtRestAsync(root, level, cancellationToken);
            var previous = readings.LastOrDefault();
            readings.Add(previous is null ? reading : reading with
            {
                RssBytesPerEntity = PerEntity(reading.RssBytes - previous.RssBytes, reading.CacheEntries - previous.CacheEntries),
                HeapBytesPerEntity = PerEntity(reading.GcHeapBytes - previous.GcHeapBytes, reading.CacheEntries - previous.CacheEntries),
                CacheBytesPerEntity = PerEntity(reading.CacheBytes - previous.CacheBytes, reading.CacheEntries - previous.CacheEntries),
            });
            progress.Step(string.Create(CultureInfo.InvariantCulture,
                $"memory at {level:N0} entities: {reading.CacheEntries:N0} cached, RSS {reading.RssBytes / 1048576.0:F1} MB, managed heap {reading.GcHeapBytes / 1048576.0:F1} MB{(reading.Collected ? "" : " (no forced collection seen)")}, load {reading.LoadAverage}"));
        }

        return new RootBenchReport
        {
            Scenario = options.Scenario.Name,
            Leaves = options.NullLeaves ? "null" : "real",
            Command = options.Command,
            Started = DateTimeOffset.UtcNow - clock.Elapsed,
            ProcessorCount = Environment.ProcessorCount,
            LoadAverageStart = loadAtStart,
            LoadAverageEnd = MachineLoad.Averages(),
            Roots = [new RootBenchResult { Root = "memory", Mode = BenchMode.Trimmed.Name, Build = RootBuild.Current.Name, Errors = errors }],
            Memory = readings,
        };

        static double? PerEntity(long bytes, long entities) => entities > 0 ? (double)bytes / entities : null;
    }

    /// <summary>Waits for the root's idle release (a full collection after the load stopped), then reads its memory.</summary>
    private static async Task<RootMemoryLevel> ReadAtRestAsync(RootProcess root, int level, CancellationToken cancellationToken)
    {
        var after = await ReadCountersAsync(root, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var collected = false;
        var counters = after;
        while (Stopwatch.GetElapsedTime(started) < CollectionTimeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            counters = await ReadCountersAsync(root, cancellationToken);
            if (counters.Gen2 > after.Gen2)
            {
                collected = true;
                break;
            }
        }

        return new RootMemoryLevel
        {
            Entities = level,
            CacheEntries = counters.CacheEntries ?? 0,
            CacheBytes = counters.CacheBytes ?? 0,
            RssBytes = ProcessMemory.ResidentBytes(root.Process.Id),
            GcHeapBytes = counters.GcHeapBytes ?? 0,
            Collected = collected,
            LoadAverage = MachineLoad.Averages(),
        };
    }

    private static string FormatMemory(RootBenchReport report, IReadOnlyList<RootMemoryLevel> memory)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(inv, $"root memory at rest after a forced full collection, trimmed, {report.Leaves} leaves, {report.ProcessorCount} cores"));
        text.AppendLine("| entities | cached entries | cache bytes | RSS MB | managed heap MB | RSS bytes/entity | heap bytes/entity | cache bytes/entity | collected | load average |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var m in memory)
        {
            text.AppendLine(string.Create(inv,
                $"| {m.Entities:N0} | {m.CacheEntries:N0} | {m.CacheBytes:N0} | {m.RssBytes / 1048576.0:F1} | {m.GcHeapBytes / 1048576.0:F1} | {B(m.RssBytesPerEntity)} | {B(m.HeapBytesPerEntity)} | {B(m.CacheBytesPerEntity)} | {(m.Collected ? "yes" : "no")} | {m.LoadAverage} |"));
        }

        if (report.Roots.Sum(r => r.Errors) is > 0 and var errors)
        {
            text.AppendLine(string.Create(inv, $"{errors} warming requests failed"));
        }

        return text.ToString();

        static string B(double? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";
    }
}

/// <summary>A root's memory at rest with <see cref="Entities"/> entities cached; per-entity figures are the growth since the previous level.</summary>
public sealed record RootMemoryLevel
{
    public int Entities { get; init; }

    public long CacheEntries { get; init; }

    public long CacheBytes { get; init; }

    public long RssBytes { get; init; }

    public long GcHeapBytes { get; init; }

    /// <summary>Whether the root's forced collection was seen before the reading (otherwise the reading came after a bounded wait).</summary>
    public bool Collected { get; init; }

    public double? RssBytesPerEntity { get; init; }

    public double? HeapBytesPerEntity { get; init; }

    public double? CacheBytesPerEntity { get; init; }

    public string LoadAverage { get; init; } = "";
}
