namespace Arbor.FeatureStore.Feast;

/// <summary>
/// The storage side of a Feast online store, in Feast's own layout: tables per view (SQLite,
/// PostgreSQL, <see cref="FeastSqlOnlineStore"/>) or one hash per entity (<see cref="RedisFeastOnlineStore"/>).
/// It fetches stored bytes; <see cref="FeastFeatureSource"/> decodes, checks and counts them.
/// </summary>
internal abstract class FeastOnlineStore : IAsyncDisposable
{
    /// <summary>Whether a read may ask for every feature of a view (false where features are stored under hashes of their names).</summary>
    public virtual bool ListsFeatures => true;

    /// <summary>One round trip: completes when the store answers, throws what the driver throws otherwise.</summary>
    public abstract Task PingAsync(CancellationToken cancellationToken);

    /// <summary>Start-up: why <paramref name="view"/> is not in the store, or null when it is or the store cannot tell cheaply.</summary>
    public abstract Task<string?> FindViewProblemAsync(string view, CancellationToken cancellationToken);

    /// <summary>Start-up: one serialized entity key the store holds values of <paramref name="view"/> under, or null when it finds none.</summary>
    public abstract Task<byte[]?> SampleKeyAsync(string view, CancellationToken cancellationToken);

    /// <summary>
    /// Start-up: one stored value per feature of <paramref name="view"/>: every stored feature where
    /// the store lists them, else those of <paramref name="features"/> it finds.
    /// </summary>
    public abstract Task<IReadOnlyList<(string Feature, byte[] Value)>> SampleValuesAsync(string view, IReadOnlyCollection<string> features, CancellationToken cancellationToken);

    /// <summary>Reads the stored values of <paramref name="views"/> for <paramref name="keys"/> into <paramref name="sink"/>.</summary>
    public abstract Task ReadAsync(IReadOnlyList<byte[]> keys, IReadOnlyList<FeastViewRead> views, IFeastRowSink sink, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}
