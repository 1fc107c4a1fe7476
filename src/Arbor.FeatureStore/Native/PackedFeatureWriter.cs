using System.Data.Common;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// One write transaction over packed rows, shared by the adapters: per batch, new feature names get
/// ids, the entities' current rows are read inside the transaction, merged with the batch in memory
/// (<see cref="PackedFeatures.Merge"/>) and written back whole. The adapters supply the statements.
/// </summary>
internal abstract class PackedFeatureWriter(DbConnection connection, DbTransaction transaction) : IFeatureWriter
{
    private readonly PackedRowMerger _merger = new();
    private Dictionary<string, int>? _nameIds;
    private bool _committed;

    public DbConnection Connection => connection;

    public DbTransaction Transaction => transaction;

    public async Task WriteAsync(IReadOnlyList<EntityFeatures> batch, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        var updates = EntityUpdate.Group(batch);
        if (updates.Count == 0)
        {
            return;
        }

        var nameIds = _nameIds ??= await LoadNameIdsAsync(cancellationToken).ConfigureAwait(false);
        await AddMissingNamesAsync(updates, nameIds, ResolveNamesAsync, cancellationToken).ConfigureAwait(false);
        var existing = await ReadExistingAsync(updates, cancellationToken).ConfigureAwait(false);
        var rows = new PackedEntityRow[updates.Count];
        for (var i = 0; i < updates.Count; i++)
        {
            rows[i] = _merger.Merge(updates[i], existing[i], nameIds);
        }

        await StoreAsync(rows, cancellationToken).ConfigureAwait(false);
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeCommandsAsync().ConfigureAwait(false);
        await transaction.DisposeAsync().ConfigureAwait(false); // rolls back when not committed
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Gives ids to the names in <paramref name="create"/> (adding them to the dictionary when
    /// missing) and finds the ids of those in <paramref name="lookUp"/> (never adding them).
    /// </summary>
    protected abstract Task<List<(int Id, string Name)>> ResolveNamesAsync(IReadOnlyCollection<string> create, IReadOnlyCollection<string> lookUp, CancellationToken cancellationToken);

    /// <summary>The current packed row of each entity (null when it has none), locked for this transaction where the database needs it.</summary>
    protected abstract Task<byte[]?[]> ReadExistingAsync(IReadOnlyList<EntityUpdate> entities, CancellationToken cancellationToken);

    /// <summary>Upserts each row with features and deletes each row without.</summary>
    protected abstract Task StoreAsync(IReadOnlyList<PackedEntityRow> rows, CancellationToken cancellationToken);

    protected virtual ValueTask DisposeCommandsAsync() => ValueTask.CompletedTask;

    protected DbCommand CreateCommand(string text)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = text;
        return command;
    }

    private async Task<Dictionary<string, int>> LoadNameIdsAsync(CancellationToken cancellationToken)
    {
        await using var command = CreateCommand($"SELECT id, name FROM {FeatureStoreSchema.NamesTable}");
        var names = await FeatureNameCache.ReadAsync(command, cancellationToken).ConfigureAwait(false);
        var ids = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        foreach (var (id, name) in names)
        {
            ids[name] = id;
        }

        return ids;
    }

    /// <summary>
    /// Adds to <paramref name="nameIds"/> the ids of the names <paramref name="updates"/> use that it
    /// lacks, through <paramref name="resolve"/> (create, look up): the step every writer shares.
    /// </summary>
    internal static async Task AddMissingNamesAsync(
        List<EntityUpdate> updates,
        Dictionary<string, int> nameIds,
        Func<IReadOnlyCollection<string>, IReadOnlyCollection<string>, CancellationToken, Task<List<(int Id, string Name)>>> resolve,
        CancellationToken cancellationToken)
    {
        HashSet<string>? create = null, lookUp = null;
        foreach (var update in updates)
        {
            foreach (var (name, value) in update.Features)
            {
                if (!nameIds.ContainsKey(name))
                {
                    // Deleting a feature never adds its name: an unknown name has nothing to delete
                    // unless another writer added it since this transaction loaded the names.
                    (value.HasValue ? create ??= new(StringComparer.Ordinal) : lookUp ??= new(StringComparer.Ordinal)).Add(name);
                }
            }
        }

        if (create is null && lookUp is null)
        {
            return;
        }

        lookUp?.ExceptWith(create ?? []);
        var resolved = await resolve((IReadOnlyCollection<string>?)create ?? [], (IReadOnlyCollection<string>?)lookUp ?? [], cancellationToken).ConfigureAwait(false);
        foreach (var (id, name) in resolved)
        {
            nameIds[name] = id;
        }
    }
}
