using System.Data.Common;
using System.Runtime.CompilerServices;

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

    /// <summary>
    /// Every entity key of a view's table, distinct, in pages of at most <paramref name="pageSize"/>
    /// keys (<c>arbor store import --from feast</c> walks a view with it, a page at a time). A layout
    /// that keeps no table per view (Redis: one hash per entity holding all its views) gives every
    /// entity key of the project; a read of the view then finds nothing for those that lack it.
    /// </summary>
    public abstract IAsyncEnumerable<IReadOnlyList<byte[]>> EntityKeyPagesAsync(string table, int pageSize, CancellationToken cancellationToken);

    /// <summary>(entity_key) of one row, if any.</summary>
    public abstract DbCommand SampleKey(DbConnection connection, string table);

    /// <summary>(feature_name, value) of one row per feature name of the table.</summary>
    public abstract DbCommand SampleValues(DbConnection connection, string table);

    /// <summary>The row's <c>event_ts</c>, or null when it has none.</summary>
    public abstract DateTimeOffset? EventTime(DbDataReader reader, int ordinal);

    /// <summary>Stops a running statement when <paramref name="cancellationToken"/> fires, where the driver does not itself.</summary>
    public virtual CancellationTokenRegistration StopOnCancel(DbConnection connection, CancellationToken cancellationToken) => default;

    /// <summary>
    /// Pages through the keys of a table in byte order: each page is its own statement
    /// (<paramref name="keysAfter"/>: the distinct keys above the last one of the page before, or
    /// from the first when null, ordered, at most the limit), on a connection held only for it.
    /// </summary>
    protected async IAsyncEnumerable<IReadOnlyList<byte[]>> PageKeysAsync(
        Func<DbConnection, byte[]?, int, DbCommand> keysAfter, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        byte[]? after = null;
        while (true)
        {
            var page = new List<byte[]>(pageSize);
            await using (var connection = await OpenAsync(cancellationToken).ConfigureAwait(false))
            await using (var command = keysAfter(connection, after, pageSize))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    page.Add(reader.GetFieldValue<byte[]>(0));
                }
            }

            if (page.Count > 0)
            {
                yield return page;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }

            after = page[^1];
        }
    }

    /// <summary>A SQL identifier, quoted (Feast's PostgreSQL store quotes its table names; SQLite's are plain words).</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public abstract ValueTask DisposeAsync();
}
