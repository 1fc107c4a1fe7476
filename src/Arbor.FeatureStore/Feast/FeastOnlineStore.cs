using System.Data.Common;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// The database side of a Feast online store (SQLite or PostgreSQL): tables named
/// <c>{project}_{view}</c> with primary key (<c>entity_key</c>, <c>feature_name</c>), a serialized
/// <c>feast.types.Value</c> in <c>value</c>, and <c>event_ts</c>. Every command it builds returns
/// its columns in the order the source reads them.
/// </summary>
internal abstract class FeastOnlineStore : IAsyncDisposable
{
    /// <summary>Opens a connection; throws when the store cannot be reached.</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="table"/> exists (start-up).</summary>
    public abstract Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken);

    /// <summary>(entity_key, feature_name, value, event_ts) of the given keys, only the given features unless null.</summary>
    public abstract DbCommand Read(DbConnection connection, string table, IReadOnlyList<byte[]> keys, IReadOnlyList<string>? features);

    /// <summary>(entity_key) of one row, if any.</summary>
    public abstract DbCommand SampleKey(DbConnection connection, string table);

    /// <summary>(feature_name, value) of one row per feature name of the table.</summary>
    public abstract DbCommand SampleValues(DbConnection connection, string table);

    /// <summary>The row's <c>event_ts</c>, or null when it has none.</summary>
    public abstract DateTimeOffset? EventTime(DbDataReader reader, int ordinal);

    /// <summary>Stops a running statement when <paramref name="cancellationToken"/> fires, where the driver does not itself.</summary>
    public virtual CancellationTokenRegistration StopOnCancel(DbConnection connection, CancellationToken cancellationToken) => default;

    /// <summary>A SQL identifier, quoted (Feast's PostgreSQL store quotes its table names; SQLite's are plain words).</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public abstract ValueTask DisposeAsync();
}
