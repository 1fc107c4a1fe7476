namespace Arbor.Root.Configuration;

/// <summary>
/// The root's start-up warm-up (<see cref="Hosting.RootWarmup"/>): once the feature store and the
/// leaves are ready, synthetic requests go through the scoring path until the JIT is quiet (it has
/// compiled the hot methods again at tier 1 and compiles nothing more), or until
/// <see cref="MaxSeconds"/> or <see cref="MaxRequests"/>; the root is not ready before. Read at start-up only.
/// </summary>
public sealed record WarmupConfig
{
    /// <summary>Whether a fresh root warms up before it says it is ready.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The longest the warm-up runs once the dependencies are ready (it then ends, saying the JIT was not quiet).</summary>
    public double MaxSeconds { get; init; } = 30;

    /// <summary>The most synthetic requests the warm-up sends.</summary>
    public int MaxRequests { get; init; } = 20_000;

    /// <summary>Candidates per synthetic request (at most <c>limits.max_candidates</c>): enough for the per-candidate loops to be hot.</summary>
    public int Candidates { get; init; } = 50;

    /// <summary>
    /// A file of entities (<c>kind&lt;TAB&gt;id</c> per line, as <c>GET /admin/cache/entities</c> writes it)
    /// read into the feature cache before the synthetic requests (<see cref="Cache.CachePreload"/>); a
    /// relative path is relative to the config file. Null (the default): none.
    /// </summary>
    public string? PreloadFile { get; init; }
}
