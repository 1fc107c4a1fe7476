using Arbor.FeatureStore.Sources;
using Arbor.Root.Preprocessing;

namespace Arbor.Root.Cache;

/// <summary>
/// Reads the entities a file names into the feature cache before the root says it is ready
/// (<c>warmup.preload_file</c>), so that a fresh root's first requests find the hot entities in
/// memory instead of each reading its own from the store. The file has one entity per line,
/// <c>kind&lt;TAB&gt;id</c> (<c>candidate</c> or <c>user</c>), as <c>GET /admin/cache/entities</c> of a
/// running root writes it; empty lines and lines starting with <c>#</c> are skipped. Each entity is
/// read with every feature of its kind (what any model, trimmed or not, may ask for), through the
/// cache's own read path: store reads, preprocessing and metrics as for a request.
/// </summary>
public sealed class CachePreload(string path, FeatureCache cache, FetchPlanner planner, FeatureCacheOptions options)
{
    /// <summary>Entities per store read.</summary>
    public const int BatchSize = 500;

    /// <summary>Ids of each kind the result keeps, in file order, for the warm-up's requests.</summary>
    public const int SampleSize = 1000;

    /// <summary>The share of <c>cache.max_bytes</c> the preload fills at most (the rest is left to traffic).</summary>
    public const double MaxShareOfCache = 0.9;

    /// <summary>The file read.</summary>
    public string Path => path;

    /// <summary>
    /// Reads the file's entities in batches of <see cref="BatchSize"/>, until the end of the file,
    /// until the cache holds <see cref="MaxShareOfCache"/> of its bytes, or until <paramref name="budget"/>
    /// has passed. A file that cannot be read, or a store read that fails, ends the preload with
    /// what it read so far (the root then fills its cache from traffic, as without a preload).
    /// </summary>
    public async Task<PreloadResult> RunAsync(TimeSpan budget, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetTimestamp();
        var plan = planner.All;
        var batches = new Dictionary<EntityKind, List<string>>();
        var samples = new Dictionary<EntityKind, List<string>> { [EntityKind.User] = [], [EntityKind.Candidate] = [] };
        int read = 0, malformed = 0;
        PreloadResult Result(string ended) =>
            new(read, malformed, time.GetElapsedTime(started).TotalSeconds, ended, samples[EntityKind.User], samples[EntityKind.Candidate]);
        try
        {
            using var reader = new StreamReader(path);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                if (!TryParse(line, out var kind, out var id))
                {
                    malformed++;
                    continue;
                }

                if (!batches.TryGetValue(kind, out var batch))
                {
                    batches[kind] = batch = new List<string>(BatchSize);
                }

                batch.Add(id);
                if (samples[kind].Count < SampleSize)
                {
                    samples[kind].Add(id);
                }

                if (batch.Count < BatchSize)
                {
                    continue;
                }

                read += await ReadAsync(kind, batch, plan, cancellationToken).ConfigureAwait(false);
                if (Stop(started, budget, time) is { } stop)
                {
                    return Result(stop);
                }
            }

            foreach (var (kind, batch) in batches)
            {
                if (batch.Count > 0 && Stop(started, budget, time) is null)
                {
                    read += await ReadAsync(kind, batch, plan, cancellationToken).ConfigureAwait(false);
                }
            }

            return Result(Stop(started, budget, time) ?? "end of file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Result($"file not readable: {e.GetType().Name}");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            // The store failed or refused a read: the root goes on without the rest.
            return Result($"store read failed: {e.GetType().Name}");
        }
    }

    /// <summary>Parses <c>kind&lt;TAB&gt;id</c> (the id is the rest of the line, not empty).</summary>
    public static bool TryParse(string line, out EntityKind kind, out string id)
    {
        ArgumentNullException.ThrowIfNull(line);
        var tab = line.IndexOf('\t', StringComparison.Ordinal);
        id = tab < 0 ? "" : line[(tab + 1)..];
        kind = default;
        return tab > 0 && id.Length > 0 && EntityKindNames.TryParse(line[..tab], out kind);
    }

    private string? Stop(long started, TimeSpan budget, TimeProvider time) =>
        cache.SizeBytes >= options.MaxBytes * MaxShareOfCache ? $"cache at {MaxShareOfCache:P0} of max_bytes"
        : time.GetElapsedTime(started) >= budget ? $"stopped at {budget.TotalSeconds:F0} s"
        : null;

    private async Task<int> ReadAsync(EntityKind kind, List<string> ids, FetchPlan plan, CancellationToken cancellationToken)
    {
        var projection = kind == EntityKind.User ? plan.User : plan.Candidate;
        var table = await cache.ReadAsync(kind, ids.ToArray(), projection, cancellationToken).ConfigureAwait(false);
        table.ReturnRows();
        var count = ids.Count;
        ids.Clear();
        return count;
    }
}

/// <summary>
/// What a preload did: entities read (whether the store had them or not), lines it could not parse,
/// seconds, why it ended, and the first <see cref="CachePreload.SampleSize"/> user and candidate ids
/// of the file (the warm-up's requests use them).
/// </summary>
public sealed record PreloadResult(int Entities, int Malformed, double Seconds, string Ended, IReadOnlyList<string> Users, IReadOnlyList<string> Candidates)
{
    /// <summary>One line for the warm-up's outcome and the log.</summary>
    public string Summary => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"preloaded {Entities} entities in {Seconds:F1} s ({Ended}{(Malformed > 0 ? $", {Malformed} lines not kind<TAB>id" : "")})");
}
