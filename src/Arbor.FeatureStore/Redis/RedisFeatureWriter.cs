using System.Globalization;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Redis;

/// <summary>
/// A write on a <see cref="RedisFeatureStore"/>, as close to a transaction as Redis allows.
/// <see cref="WriteAsync"/> only stages the batches in memory (later values win), giving new feature
/// names their ids at once (a Lua script, atomic for concurrent writers; an id given to a write that
/// is then dropped stays unused, as harmless as a gap). <see cref="CommitAsync"/> applies the staged
/// entities in chunks of <see cref="EntitiesPerTransaction"/>: each chunk reads the current rows,
/// merges them, and writes them in one MULTI/EXEC guarded by WATCH on those rows, retried when
/// another writer changed one of them meanwhile, so concurrent writers to one entity both keep
/// their features. Each chunk is atomic; the commit as a whole is not: while it runs a reader may
/// see the chunks already applied and not the others, and a commit that fails part-way leaves the
/// chunks it applied. Disposing without committing writes nothing.
/// </summary>
internal sealed class RedisFeatureWriter(IDatabase db, RedisKeyLayout keys) : IFeatureWriter
{
    internal const int EntitiesPerTransaction = 500;

    private const int MaxAttempts = 50;

    private const string AddNamesScript = """
        local ids = {}
        for i, name in ipairs(ARGV) do
          local id = redis.call('HGET', KEYS[1], name)
          if not id then
            id = redis.call('INCR', KEYS[2])
            redis.call('HSET', KEYS[1], name, id)
          end
          ids[i] = tonumber(id)
        end
        return ids
        """;

    private readonly Dictionary<(EntityKind, string), EntityUpdate> _staged = [];
    private readonly List<EntityUpdate> _order = [];
    private readonly PackedRowMerger _merger = new();
    private Dictionary<string, int>? _nameIds;
    private bool _committed;

    public async Task WriteAsync(IReadOnlyList<EntityFeatures> batch, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        var updates = EntityUpdate.Group(batch);
        if (updates.Count == 0)
        {
            return;
        }

        _nameIds ??= await LoadNameIdsAsync(cancellationToken).ConfigureAwait(false);
        await PackedFeatureWriter.AddMissingNamesAsync(updates, _nameIds, ResolveNamesAsync, cancellationToken).ConfigureAwait(false);
        foreach (var update in updates)
        {
            if (_staged.TryGetValue((update.Kind, update.Id), out var staged))
            {
                foreach (var (name, value) in update.Features)
                {
                    staged.Features[name] = value;
                }
            }
            else
            {
                _staged.Add((update.Kind, update.Id), update);
                _order.Add(update);
            }
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _committed = true;
        var nameIds = _nameIds ?? [];
        for (var start = 0; start < _order.Count; start += EntitiesPerTransaction)
        {
            var chunk = _order.GetRange(start, Math.Min(EntitiesPerTransaction, _order.Count - start));
            await ApplyAsync(chunk, nameIds, cancellationToken).ConfigureAwait(false);
        }

        _staged.Clear();
        _order.Clear();
    }

    public ValueTask DisposeAsync()
    {
        _staged.Clear();
        _order.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads hash entries (name → id) as (id, name) pairs.</summary>
    internal static List<(int Id, string Name)> ParseNames(HashEntry[] entries)
    {
        var names = new List<(int Id, string Name)>(entries.Length);
        foreach (var entry in entries)
        {
            names.Add((int.Parse((string)entry.Value!, NumberStyles.None, CultureInfo.InvariantCulture), (string)entry.Name!));
        }

        return names;
    }

    private async Task ApplyAsync(List<EntityUpdate> chunk, Dictionary<string, int> nameIds, CancellationToken cancellationToken)
    {
        var rowKeys = new RedisKey[chunk.Count];
        for (var i = 0; i < chunk.Count; i++)
        {
            rowKeys[i] = keys.Entity(chunk[i].Kind, chunk[i].Id);
        }

        for (var attempt = 1; ; attempt++)
        {
            var existing = await db.StringGetAsync(rowKeys).WaitAsync(cancellationToken).ConfigureAwait(false);
            var transaction = db.CreateTransaction();
            for (var i = 0; i < chunk.Count; i++)
            {
                var current = existing[i];
                transaction.AddCondition(current.IsNull ? Condition.KeyNotExists(rowKeys[i]) : Condition.StringEqual(rowKeys[i], current));
                var row = _merger.Merge(chunk[i], current.IsNull ? null : (byte[])current!, nameIds);
                _ = row.Features is null
                    ? transaction.KeyDeleteAsync(rowKeys[i])
                    : transaction.StringSetAsync(rowKeys[i], row.Features);
            }

            if (await transaction.ExecuteAsync().WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException(
                    $"Other writers kept changing the same entities: a chunk of {chunk.Count} entities was not written after {MaxAttempts} attempts.");
            }
        }
    }

    private async Task<Dictionary<string, int>> LoadNameIdsAsync(CancellationToken cancellationToken)
    {
        var entries = await db.HashGetAllAsync(keys.Names).WaitAsync(cancellationToken).ConfigureAwait(false);
        var ids = new Dictionary<string, int>(entries.Length, StringComparer.Ordinal);
        foreach (var (id, name) in ParseNames(entries))
        {
            ids[name] = id;
        }

        return ids;
    }

    private async Task<List<(int Id, string Name)>> ResolveNamesAsync(IReadOnlyCollection<string> create, IReadOnlyCollection<string> lookUp, CancellationToken cancellationToken)
    {
        var resolved = new List<(int Id, string Name)>(create.Count + lookUp.Count);
        if (create.Count > 0)
        {
            var names = create.Select(n => (RedisValue)n).ToArray();
            var ids = (long[])(await db.ScriptEvaluateAsync(AddNamesScript, [keys.Names, keys.NextNameId], names).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            for (var i = 0; i < names.Length; i++)
            {
                resolved.Add(((int)ids[i], (string)names[i]!));
            }
        }

        if (lookUp.Count > 0)
        {
            var names = lookUp.Select(n => (RedisValue)n).ToArray();
            var ids = await db.HashGetAsync(keys.Names, names).WaitAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < names.Length; i++)
            {
                if (!ids[i].IsNull)
                {
                    resolved.Add((int.Parse((string)ids[i]!, NumberStyles.None, CultureInfo.InvariantCulture), (string)names[i]!));
                }
            }
        }

        return resolved;
    }
}
