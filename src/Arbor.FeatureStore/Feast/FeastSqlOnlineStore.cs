using System.Data.Common;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// The database side of a Feast online store (SQLite or PostgreSQL): tables named
/// <c>{project}_{view}</c> with primary key (<c>entity_key</c>, <c>feature_name</c>), a serialized
/// <c>feast.types.Value</c> in <c>value</c>, and <c>event_ts</c>. One query per view per read; every
/// command it builds returns its columns in the order the reads take them.
/// </summary>
internal abstract class FeastSqlOnlineStore(string project, FeastSourceMetrics metrics) : FeastOnlineStore
{
    /// <summary>The table Feast keeps a view in: <c>{project}_{view}</c>.</summary>
    public string TableOf(string view) => $"{project}_{view}";

    public override async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task<string?> FindViewProblemAsync(string view, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var table = TableOf(view);
        return await TableExistsAsync(connection, table, cancellationToken).ConfigureAwait(false)
            ? null
            : $"the online store has no table '{table}' (was `feast apply` run for project '{project}'?)";
    }

    public override async Task<byte[]?> SampleKeyAsync(string view, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SampleKey(connection, TableOf(view));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    public override async Task<IReadOnlyList<(string Feature, byte[] Value)>> SampleValuesAsync(string view, IReadOnlyCollection<string> features, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SampleValues(connection, TableOf(view));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var values = new List<(string, byte[])>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            values.Add((reader.GetString(0), reader.GetFieldValue<byte[]>(1)));
        }

        return values;
    }

    public override async Task ReadAsync(IReadOnlyList<byte[]> keys, IReadOnlyList<FeastViewRead> views, IFeastRowSink sink, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var stop = StopOnCancel(connection, cancellationToken);
        for (var v = 0; v < views.Count; v++)
        {
            var view = views[v];
            await using var command = Read(connection, TableOf(view.View), keys, view.Features);
            metrics.Query(view.View);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var eventTime = view.TimeToLive > TimeSpan.Zero ? EventTime(reader, 3) : null;
                sink.Value(v, reader.GetFieldValue<byte[]>(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2), eventTime);
            }
        }
    }

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
}
