using Arbor.Features.Values;
using Arbor.FeatureStore.Redis;
using Arbor.FeatureStore.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Arbor.Root.Cache.Shared;

/// <summary>
/// The optional second cache tier, shared by every root through one Redis: between the roots'
/// in-process <see cref="FeatureCache"/> and the feature store.
/// </summary>
/// <remarks>
/// <para>A batch the process cache missed is looked up with one MGET. An entry (<see cref="SharedTierEntry"/>)
/// holding every requested feature, fetched from the store less than <see cref="SharedTierOptions.TimeToLive"/>
/// ago, is a hit. The other entities go to the store in one read, for the features their entries
/// lack (all of them when there is no entry); each is served from its entry's features merged with
/// what the store returned, and written back to the tier in the background, with the older of the
/// two fetch times (so a merge never makes a value look younger than it is). The write-back never
/// delays the response and is bounded (<see cref="SharedTierOptions.MaxPendingWrites"/>).</para>
/// <para>Never fails a request: a tier read that errs or takes longer than <see cref="SharedTierOptions.Timeout"/>
/// is counted, and the batch (and every batch during <see cref="SharedTierOptions.FailureBackoff"/>
/// after it) goes to the store. Errors of the store itself are the store's, as without the tier.</para>
/// <para>Staleness: a value the tier serves was fetched from the store less than the tier's TTL ago;
/// the process cache then keeps it for its own TTL, so a value a root serves as fresh was read from
/// the store at most tier TTL + cache TTL ago.</para>
/// </remarks>
public sealed class SharedFeatureTier : IFeatureSource, IAsyncDisposable
{
    private const long NeverFailed = long.MinValue;

    private readonly IFeatureSource _store;
    private readonly SharedTierOptions _options;
    private readonly TimeProvider _time;
    private readonly SharedTierMetrics _metrics;
    private readonly ILogger _logger;
    private readonly RedisKeyLayout _keys;
    private readonly Task<ConnectionMultiplexer> _connection;
    private long _failedAt = NeverFailed;
    private int _pendingWrites;

    public SharedFeatureTier(IFeatureSource store, SharedTierOptions options, TimeProvider timeProvider, SharedTierMetrics metrics, ILogger<SharedFeatureTier>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(metrics);
        options.Validate();
        _store = store;
        _options = options;
        _time = timeProvider;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _keys = new RedisKeyLayout(options.KeyPrefix);
        var client = RedisLocation.Parse(options.Redis);

        // Down at start: reconnect in the background; commands fail at once while it is unreachable.
        client.AbortOnConnectFail = false;
        client.BacklogPolicy = BacklogPolicy.FailFast;
        client.ConnectTimeout = (int)Math.Clamp(options.Timeout.TotalMilliseconds * 20, 1000, 5000);
        _connection = ConnectionMultiplexer.ConnectAsync(client);
        Observe(_connection);
    }

    /// <summary>
    /// Waits (at most <paramref name="timeout"/>) until the first connection attempt has ended; true
    /// when the tier is connected. Never throws: a root starts without its tier.
    /// </summary>
    public async Task<bool> ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _connection.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return connection.IsConnected;
        }
        catch (Exception e) when (e is TimeoutException or RedisException)
        {
            return false;
        }
    }

    /// <summary>Write-backs still in flight (tests and shutdown wait for zero).</summary>
    public int PendingWrites => Volatile.Read(ref _pendingWrites);

    public async ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(features);
        if (ids.Count == 0 || features.IsAll || features.Count == 0 || !TryGetDatabase(out var db))
        {
            if (ids.Count > 0 && !features.IsAll && features.Count > 0)
            {
                _metrics.Skipped(entity, ids.Count);
            }

            return await _store.ReadAsync(entity, ids, features, cancellationToken).ConfigureAwait(false);
        }

        var entries = await ReadTierAsync(db, entity, ids, cancellationToken).ConfigureAwait(false);
        if (entries is null)
        {
            return await _store.ReadAsync(entity, ids, features, cancellationToken).ConfigureAwait(false);
        }

        return await ServeAsync(db, entity, ids, features, entries, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            var connection = await _connection.ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // It never connected: nothing to close.
        }
    }

    private bool TryGetDatabase(out IDatabase db)
    {
        db = null!;
        var failedAt = Interlocked.Read(ref _failedAt);
        if (failedAt != NeverFailed && _time.GetElapsedTime(failedAt) < _options.FailureBackoff)
        {
            return false;
        }

        // Still connecting (the root's start waits for it, bounded). A tier that lost its connection is
        // asked anyway: the command fails at once, is counted, and starts the back-off.
        if (!_connection.IsCompletedSuccessfully)
        {
            return false;
        }

        db = _connection.Result.GetDatabase();
        return true;
    }

    /// <summary>The tier's raw entries for <paramref name="ids"/>, or null when the tier failed (counted; the caller reads the store).</summary>
    private async Task<RedisValue[]?> ReadTierAsync(IDatabase db, EntityKind entity, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var keys = new RedisKey[ids.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = _keys.Entity(entity, ids[i]);
        }

        var started = _time.GetTimestamp();
        var read = db.StringGetAsync(keys);
        try
        {
            return await read.WaitAsync(_options.Timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is TimeoutException or RedisException)
        {
            Observe(read);
            _metrics.ReadFailed();
            _metrics.Misses(entity, ids.Count);
            Fail("read", e);
            return null;
        }
        finally
        {
            _metrics.Read(entity, _time.GetElapsedTime(started));
        }
    }

    private async Task<FeatureTable> ServeAsync(
        IDatabase db, EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, RedisValue[] entries, CancellationToken cancellationToken)
    {
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var ttlMs = (long)_options.TimeToLive.TotalMilliseconds;
        var table = new FeatureTableBuilder(ids, features);
        var held = new Dictionary<string, TypedValue>[ids.Count];
        var heldAt = new long[ids.Count];
        var decoded = new Dictionary<string, TypedValue>(StringComparer.Ordinal);
        List<int>? missRows = null;
        HashSet<string>? missing = null;
        for (var row = 0; row < ids.Count; row++)
        {
            var complete = false;
            if (!entries[row].IsNull
                && SharedTierEntry.TryDecode(((ReadOnlyMemory<byte>)entries[row]).Span, decoded, out var fetchedAt)
                && nowMs - fetchedAt < ttlMs)
            {
                complete = true;
                for (var c = 0; c < features.Count; c++)
                {
                    if (decoded.TryGetValue(features.Names[c], out var value))
                    {
                        table.Set(row, c, value);
                    }
                    else
                    {
                        complete = false;
                        (missing ??= new HashSet<string>(StringComparer.Ordinal)).Add(features.Names[c]);
                    }
                }

                if (!complete)
                {
                    held[row] = new Dictionary<string, TypedValue>(decoded, StringComparer.Ordinal);
                    heldAt[row] = fetchedAt;
                }
            }
            else
            {
                (missing ??= new HashSet<string>(StringComparer.Ordinal)).UnionWith(features.Names);
            }

            if (!complete)
            {
                (missRows ??= []).Add(row);
            }
        }

        _metrics.Hits(entity, ids.Count - (missRows?.Count ?? 0));
        _metrics.Misses(entity, missRows?.Count ?? 0);
        if (missRows is null)
        {
            return table.Build();
        }

        var fetchedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var fetch = FeatureProjection.Of(features.Names.Where(missing!.Contains));
        var missIds = missRows.ConvertAll(r => ids[r]);
        var fetched = await _store.ReadAsync(entity, missIds, fetch, cancellationToken).ConfigureAwait(false);
        var writes = new List<(RedisKey Key, byte[] Entry, TimeSpan Expiry)>(missRows.Count);
        for (var m = 0; m < missRows.Count; m++)
        {
            var row = missRows[m];
            var merged = held[row] ?? new Dictionary<string, TypedValue>(StringComparer.Ordinal);
            for (var c = 0; c < fetch.Count; c++)
            {
                merged[fetch.Names[c]] = fetched[m, c];
            }

            for (var c = 0; c < features.Count; c++)
            {
                table.Set(row, c, merged[features.Names[c]]);
            }

            var oldest = held[row] is null ? fetchedAtMs : Math.Min(heldAt[row], fetchedAtMs);
            var expiry = TimeSpan.FromMilliseconds(ttlMs - (nowMs - oldest));
            if (expiry > TimeSpan.Zero)
            {
                writes.Add((_keys.Entity(entity, ids[row]), SharedTierEntry.Encode(oldest, [.. merged]), expiry));
            }
        }

        WriteBack(db, writes);
        return table.Build();
    }

    /// <summary>Sends the entries in one pipelined batch, in the background; drops them when too many write-backs are in flight.</summary>
    private void WriteBack(IDatabase db, List<(RedisKey Key, byte[] Entry, TimeSpan Expiry)> writes)
    {
        if (writes.Count == 0)
        {
            return;
        }

        if (Interlocked.Increment(ref _pendingWrites) > _options.MaxPendingWrites)
        {
            Interlocked.Decrement(ref _pendingWrites);
            _metrics.WriteDropped();
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                var batch = db.CreateBatch();
                var sets = new Task[writes.Count];
                for (var i = 0; i < writes.Count; i++)
                {
                    sets[i] = batch.StringSetAsync(writes[i].Key, writes[i].Entry, writes[i].Expiry);
                }

                batch.Execute();
                var all = Task.WhenAll(sets);
                try
                {
                    await all.WaitAsync(_options.Timeout * 4, _time).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    Observe(all);
                    throw;
                }
            }
            catch (Exception e) when (e is TimeoutException or RedisException)
            {
                _metrics.WriteFailed();
                Fail("write", e);
            }
            finally
            {
                Interlocked.Decrement(ref _pendingWrites);
            }
        });
    }

    /// <summary>A command given up on still ends (the client's own timeout): its error must not go unobserved.</summary>
    private static void Observe(Task task) =>
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private void Fail(string operation, Exception e)
    {
        Interlocked.Exchange(ref _failedAt, _time.GetTimestamp());
        var reason = e is TimeoutException ? "timed out" : e.GetType().Name;
        SharedTierLog.Failed(_logger, operation, reason, _options.FailureBackoff.TotalMilliseconds);
    }
}
