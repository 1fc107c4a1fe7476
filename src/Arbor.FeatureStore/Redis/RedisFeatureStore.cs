using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Redis;

/// <summary>
/// The native feature store on Redis: the same packed rows as <see cref="SqliteFeatureStore"/> and
/// <see cref="PostgresFeatureStore"/>, one string key per entity (<see cref="RedisKeyLayout"/>), and
/// the feature name dictionary in a hash. A read of a batch is one pipelined MGET per
/// <see cref="KeysPerCommand"/> ids, all sent at once (one round trip). Needs one Redis (or a
/// primary): the keys of a read are not in one cluster hash slot, so Redis Cluster is not supported.
/// </summary>
public sealed class RedisFeatureStore : IFeatureStore
{
    /// <summary>The key prefix when none is configured.</summary>
    public const string DefaultKeyPrefix = "arbor:";

    /// <summary>Keeps each MGET (and each reply) to a few MB.</summary>
    internal const int KeysPerCommand = 1000;

    private readonly ConfigurationOptions _options;
    private readonly RedisKeyLayout _keys;
    private readonly FeatureNameCache _names = new();
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;

    /// <param name="location">A <c>redis://</c> URL or StackExchange.Redis configuration string (<see cref="RedisLocation"/>).</param>
    /// <param name="keyPrefix">Prefix of every key the store uses, so that several stores can share one Redis.</param>
    public RedisFeatureStore(string location, string keyPrefix = DefaultKeyPrefix)
    {
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _options = RedisLocation.Parse(location);

        // A Redis that is down at start is tried again in the background (reads fail until it answers)
        // instead of failing the constructor; commands fail at once while it is unreachable rather
        // than queueing until their timeout.
        _options.AbortOnConnectFail = false;
        _options.BacklogPolicy = BacklogPolicy.FailFast;
        _keys = new RedisKeyLayout(keyPrefix);
        _connection = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(_options));
    }

    /// <summary>
    /// Records the layout version when the store is empty and refuses any other version. Redis
    /// never held the version 1 layout, so there is nothing to migrate.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        if (await db.StringSetAsync(_keys.Schema, FeatureStoreSchema.Version, when: When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var version = (string?)await db.StringGetAsync(_keys.Schema).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (version != FeatureStoreSchema.Version)
        {
            throw new InvalidOperationException(
                $"Feature store has schema version '{version}'; this build reads version {FeatureStoreSchema.Version} from Redis.");
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        if ((await db.StringGetAsync(_keys.Schema).WaitAsync(cancellationToken).ConfigureAwait(false)).IsNull)
        {
            throw new InvalidOperationException("Feature store has no schema version: it is not initialised.");
        }
    }

    public ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(features);
        if (ids.Count == 0 || (!features.IsAll && features.Count == 0))
        {
            return ValueTask.FromResult(new FeatureTableBuilder(ids, features).Build());
        }

        cancellationToken.ThrowIfCancellationRequested();

        // The client has no cancellation: the caller stops waiting when its token fires and the
        // commands end (or time out) in the background.
        return new ValueTask<FeatureTable>(ReadFromServerAsync(entity, ids, features).WaitAsync(cancellationToken));
    }

    public async Task<IFeatureWriter> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        return new RedisFeatureWriter(db, _keys);
    }

    /// <summary>Counts by scanning every entity key (SCAN, then MGET per page): for operators, not for the request path.</summary>
    public async Task<FeatureStoreStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var db = connection.GetDatabase();
        var server = connection.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica)
            ?? throw new InvalidOperationException("No connected Redis primary to count the store's keys on.");
        var counts = new long[4];
        foreach (var kind in (EntityKind[])[EntityKind.User, EntityKind.Candidate])
        {
            var page = new List<RedisKey>(KeysPerCommand);
            await foreach (var key in server.KeysAsync(db.Database, _keys.EntityPattern(kind), KeysPerCommand).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                page.Add(key);
                if (page.Count == KeysPerCommand)
                {
                    await CountAsync(db, page, kind, counts, cancellationToken).ConfigureAwait(false);
                    page.Clear();
                }
            }

            await CountAsync(db, page, kind, counts, cancellationToken).ConfigureAwait(false);
        }

        return new FeatureStoreStats(counts[0], counts[1], counts[2], counts[3]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            try
            {
                var connection = await _connection.Value.ConfigureAwait(false);
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // It never connected: nothing to close.
            }
        }
    }

    private static async Task CountAsync(IDatabase db, List<RedisKey> keys, EntityKind kind, long[] counts, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return;
        }

        var rows = await db.StringGetAsync([.. keys]).WaitAsync(cancellationToken).ConfigureAwait(false);
        var at = kind == EntityKind.User ? 0 : 2;
        foreach (var row in rows)
        {
            if (!row.IsNull)
            {
                counts[at]++;
                counts[at + 1] += new PackedFeatureReader(((ReadOnlyMemory<byte>)row).Span).Count;
            }
        }
    }

    private async Task<FeatureTable> ReadFromServerAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features)
    {
        var db = await DatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        var names = _names.Current ?? await LoadNamesAsync(db).ConfigureAwait(false);
        var keys = new RedisKey[ids.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = _keys.Entity(entity, ids[i]);
        }

        // Every page is written to the connection before the first reply is awaited: one round trip.
        var pages = new Task<RedisValue[]>[((keys.Length - 1) / KeysPerCommand) + 1];
        for (var p = 0; p < pages.Length; p++)
        {
            var start = p * KeysPerCommand;
            pages[p] = db.StringGetAsync(keys[start..Math.Min(keys.Length, start + KeysPerCommand)]);
        }

        var table = new PackedFeatureTableAssembler(entity, ids, features, names);
        for (var p = 0; p < pages.Length; p++)
        {
            var rows = await pages[p].ConfigureAwait(false);
            for (var i = 0; i < rows.Length; i++)
            {
                if (!rows[i].IsNull)
                {
                    table.Add((p * KeysPerCommand) + i, ((ReadOnlyMemory<byte>)rows[i]).Span);
                }
            }
        }

        if (table.NeedsNewerNames)
        {
            table.Resolve(await LoadNamesAsync(db).ConfigureAwait(false));
        }

        return table.Build();
    }

    private async Task<FeatureNameDictionary> LoadNamesAsync(IDatabase db)
    {
        var entries = await db.HashGetAllAsync(_keys.Names).ConfigureAwait(false);
        return _names.Publish(FeatureNameDictionary.Create(RedisFeatureWriter.ParseNames(entries)));
    }

    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken) =>
        (await ConnectAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    private Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken) =>
        _connection.Value.WaitAsync(cancellationToken);
}
