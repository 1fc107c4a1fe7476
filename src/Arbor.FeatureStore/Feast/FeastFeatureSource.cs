using System.Collections.Frozen;
using System.Data.Common;
using Arbor.FeatureStore.Sources;
using Arbor.FeatureStore.Values;
using Arbor.Signatures.Registry;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// Reads features from a Feast online store (SQLite, PostgreSQL or Redis) as it is: one query per
/// feature view per batch read for SQLite and PostgreSQL, one pipelined HMGET per entity for Redis,
/// keys in Feast's version 3 serialization, values
/// decoded from <c>feast.types.Value</c> into Arbor's typed values. A value older than its view's
/// time to live (by <c>event_ts</c>), a value that cannot be decoded or has a type Arbor does not
/// take, and an id that is not a key of its join key's type are missing from the answer and counted
/// (<see cref="FeastSourceMetrics"/>); the read goes on. <see cref="InitializeAsync"/> finds at
/// start-up what it can: missing tables, join keys of another name or type, value types Arbor does
/// not take or the registry refuses (for Redis, on a sample of its keys). Thread-safe.
/// </summary>
public sealed class FeastFeatureSource : IServableFeatureSource
{
    private readonly FeastOnlineStore _store;
    private readonly FeastSourceOptions _options;
    private readonly IFeatureSchema? _schema;
    private readonly TimeProvider _time;
    private readonly FeastSourceMetrics _metrics;
    private readonly FrozenDictionary<EntityKind, FeastEntityOptions> _entities;
    private readonly FrozenDictionary<string, (EntityKind Entity, FeastViewOptions View)> _views;

    // Per view, Feast feature → registry name, for reads of every feature and for start-up checks.
    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> _registryNames;

    private FeastFeatureSource(FeastOnlineStore store, FeastSourceOptions options, IFeatureSchema? schema, TimeProvider? time, FeastSourceMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Project);
        _store = store;
        _options = options;
        _schema = schema;
        _time = time ?? TimeProvider.System;
        _metrics = metrics ?? new FeastSourceMetrics();
        var entities = new Dictionary<EntityKind, FeastEntityOptions>();
        var views = new Dictionary<string, (EntityKind, FeastViewOptions)>(StringComparer.Ordinal);
        foreach (var entity in options.Entities)
        {
            if (!entities.TryAdd(entity.Kind, entity))
            {
                throw new FeastSourceException($"Feast: the {entity.Kind.ToName()} entity is configured twice.");
            }

            foreach (var view in entity.Views)
            {
                if (!views.TryAdd(view.Name, (entity.Kind, view)))
                {
                    throw new FeastSourceException($"Feast: feature view '{view.Name}' is configured twice (a view belongs to one entity kind).");
                }
            }
        }

        var registryNames = views.Keys.ToDictionary(v => v, _ => new Dictionary<string, string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (name, reference) in options.Features)
        {
            if (!registryNames.TryGetValue(reference.View, out var names))
            {
                throw new FeastSourceException($"Feast: feature '{name}' maps to '{reference}', but view '{reference.View}' is not configured for any entity.");
            }

            if (!names.TryAdd(reference.Feature, name))
            {
                throw new FeastSourceException($"Feast: '{reference}' is mapped to both '{names[reference.Feature]}' and '{name}'.");
            }
        }

        _entities = entities.ToFrozenDictionary();
        _views = views.ToFrozenDictionary(StringComparer.Ordinal);
        _registryNames = registryNames.ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenDictionary(StringComparer.Ordinal), StringComparer.Ordinal);
    }

    /// <summary>A source over Feast's SQLite online store file (opened read-only).</summary>
    public static FeastFeatureSource OpenSqlite(string path, FeastSourceOptions options, IFeatureSchema? schema = null, TimeProvider? time = null, FeastSourceMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        metrics ??= new FeastSourceMetrics();
        return new(new SqliteFeastOnlineStore(path, options.Project, metrics), options, schema, time, metrics);
    }

    /// <summary>A source over Feast's PostgreSQL online store (an Npgsql connection string).</summary>
    public static FeastFeatureSource OpenPostgres(string connectionString, FeastSourceOptions options, IFeatureSchema? schema = null, TimeProvider? time = null, FeastSourceMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        metrics ??= new FeastSourceMetrics();
        return new(new PostgresFeastOnlineStore(connectionString, options.Project, metrics), options, schema, time, metrics);
    }

    /// <summary>A source over Feast's Redis online store (a StackExchange.Redis configuration string; Feast's <c>db=N</c> is taken).</summary>
    public static FeastFeatureSource OpenRedis(string connectionString, FeastSourceOptions options, IFeatureSchema? schema = null, TimeProvider? time = null, FeastSourceMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        metrics ??= new FeastSourceMetrics();
        return new(new RedisFeastOnlineStore(connectionString, options.Project, metrics), options, schema, time, metrics);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, reference) in _options.Features)
        {
            CheckRegistered(name, reference, _views[reference.View].Entity);
        }

        await _store.PingAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (viewName, (entity, view)) in _views)
        {
            if (await _store.FindViewProblemAsync(viewName, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                throw new FeastSourceException($"Feast view '{viewName}' ({entity.ToName()}): {problem}.");
            }

            await CheckKeyAsync(viewName, _entities[entity], cancellationToken).ConfigureAwait(false);
            await CheckValuesAsync(view, entity, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task CheckAsync(CancellationToken cancellationToken) => _store.PingAsync(cancellationToken);

    public async ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(features);
        var builder = new FeatureTableBuilder(ids, features);
        if (ids.Count == 0 || (!features.IsAll && features.Count == 0) || !_entities.TryGetValue(entity, out var options))
        {
            return builder.Build();
        }

        cancellationToken.ThrowIfCancellationRequested();

        // Drivers may cancel synchronously on the cancelling thread (Npgsql waits for the server):
        // the caller stops waiting when its token fires, the read is told from another thread.
        using var driver = new CancellationTokenSource();
        var forward = cancellationToken.UnsafeRegister(static state => _ = ((CancellationTokenSource)state!).CancelAsync(), driver);
        var read = ReadCoreAsync(options, ids, features, builder, driver.Token);
        try
        {
            await read.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        catch (Exception e) when (e is DbException or StackExchange.Redis.RedisException && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The feature read was cancelled.", e, cancellationToken);
        }
        finally
        {
            await forward.DisposeAsync().ConfigureAwait(false);
        }

        return builder.Build();
    }

    public async ValueTask DisposeAsync() => await _store.DisposeAsync().ConfigureAwait(false);

    private async Task ReadCoreAsync(FeastEntityOptions entity, IReadOnlyList<string> ids, FeatureProjection features, FeatureTableBuilder builder, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var rowsByKey = new Dictionary<byte[], List<int>>(ids.Count, ByteArrayComparer.Instance);
        for (var row = 0; row < ids.Count; row++)
        {
            var key = FeastEntityKey.TryEncode(entity.JoinKey, entity.KeyType, ids[row]);
            if (key is null)
            {
                _metrics.BadId(entity.Kind);
                continue;
            }

            if (!rowsByKey.TryGetValue(key, out var rows))
            {
                rowsByKey.Add(key, rows = new List<int>(1));
            }

            rows.Add(row);
        }

        if (rowsByKey.Count == 0)
        {
            return;
        }

        var keys = rowsByKey.Keys.ToArray();
        var reads = new List<FeastViewRead>(entity.Views.Count);
        var columns = new List<Dictionary<string, int>?>(entity.Views.Count);
        foreach (var view in entity.Views)
        {
            Dictionary<string, int>? viewColumns = null;
            IReadOnlyList<string>? names = null;
            if (!features.IsAll)
            {
                viewColumns = ColumnsOf(entity.Kind, view.Name, features);
                names = [.. viewColumns.Keys];
            }
            else if (!_store.ListsFeatures)
            {
                // Fields are hashes of names: every feature is every mapped one.
                names = [.. _registryNames[view.Name].Keys];
            }

            if (names is { Count: 0 })
            {
                continue;
            }

            reads.Add(new FeastViewRead(view.Name, view.TimeToLive, names));
            columns.Add(viewColumns);
        }

        if (reads.Count == 0)
        {
            return;
        }

        var sink = new RowSink(this, reads, columns, rowsByKey, builder, _time.GetUtcNow());
        try
        {
            await _store.ReadAsync(keys, reads, sink, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sink.CountExpired();
        }
    }

    /// <summary>Feast feature → projection column of the features of <paramref name="view"/> the projection names.</summary>
    private Dictionary<string, int> ColumnsOf(EntityKind entity, string view, FeatureProjection features)
    {
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var column = 0; column < features.Count; column++)
        {
            var name = features.Names[column];
            if (_options.Features.TryGetValue(name, out var mapped)
                ? mapped.View == view
                : FeastFeatureRef.TryParse(name, out mapped) && mapped.View == view && !_registryNames[view].ContainsKey(mapped.Feature))
            {
                if (_views[view].Entity == entity)
                {
                    columns.TryAdd(mapped.Feature, column);
                }
            }
        }

        return columns;
    }

    private void CheckRegistered(string name, FeastFeatureRef reference, EntityKind entity)
    {
        if (_schema is null)
        {
            return;
        }

        if (!_schema.TryGetFeature(name, out var owner, out _))
        {
            throw new FeastSourceException($"Feast feature '{reference}' is mapped to '{name}', which is not in the feature registry.");
        }

        if (owner != (entity == EntityKind.User ? FeatureEntity.User : FeatureEntity.Candidate))
        {
            throw new FeastSourceException($"Feast feature '{reference}' is read for the {entity.ToName()}, but the registry's '{name}' belongs to the {owner.ToString().ToLowerInvariant()}.");
        }
    }

    private async Task CheckKeyAsync(string view, FeastEntityOptions entity, CancellationToken cancellationToken)
    {
        if (await _store.SampleKeyAsync(view, cancellationToken).ConfigureAwait(false) is not { } key)
        {
            return;
        }

        if (!FeastEntityKey.TryDescribe(key, out var joinKeys, out var types))
        {
            throw new FeastSourceException($"Feast view '{view}': its entity keys are not in Feast's version 3 serialization (entity_key_serialization_version: 3).");
        }

        if (joinKeys.Length != 1 || joinKeys[0] != entity.JoinKey)
        {
            throw new FeastSourceException($"Feast view '{view}' is keyed by [{string.Join(", ", joinKeys)}], not the join key '{entity.JoinKey}' configured for the {entity.Kind.ToName()}.");
        }

        if (types[0] != (uint)entity.KeyType)
        {
            throw new FeastSourceException($"Feast view '{view}': join key '{entity.JoinKey}' holds {KeyTypeName(types[0])} values, not the {KeyTypeName((uint)entity.KeyType)} configured for the {entity.Kind.ToName()}.");
        }
    }

    private async Task CheckValuesAsync(FeastViewOptions view, EntityKind entity, CancellationToken cancellationToken)
    {
        var registryNames = _registryNames[view.Name];
        var sample = await _store.SampleValuesAsync(view.Name, registryNames.Keys, cancellationToken).ConfigureAwait(false);
        foreach (var (feature, bytes) in sample)
        {
            var reference = new FeastFeatureRef(view.Name, feature);
            var name = registryNames.GetValueOrDefault(feature) ?? reference.ToString();
            if (!registryNames.ContainsKey(feature) && _schema is not null && !_schema.TryGetFeature(name, out _, out _))
            {
                // Not a feature Arbor serves: never asked for by name.
                continue;
            }

            var status = FeastValueDecoder.Decode(bytes, out var value, out var field);
            var problem = status switch
            {
                FeastValueStatus.TypeNotTaken => $"holds {FeastValueDecoder.FieldName(field)} values, which Arbor does not take (float, double, int32, int64, their lists, string, bytes)",
                FeastValueStatus.UnknownType => $"holds values of an unknown type ({FeastValueDecoder.FieldName(field)} of feast.types.Value)",
                FeastValueStatus.Corrupt => "holds a value that is not a serialized feast.types.Value",
                _ => null,
            };
            if (problem is not null)
            {
                throw new FeastSourceException($"Feast view '{view.Name}', feature '{feature}' (registry '{name}'): {problem}.");
            }

            if (status == FeastValueStatus.Value && _schema is not null)
            {
                CheckRegistered(name, reference, entity);
                try
                {
                    _schema.Validate(name, value);
                }
                catch (FormatException e)
                {
                    throw new FeastSourceException($"Feast view '{view.Name}', feature '{feature}' holds {FeastValueDecoder.FieldName(field)} values: {e.Message}.", e);
                }
            }
        }
    }

    private static string KeyTypeName(uint type) => type switch
    {
        (uint)FeastKeyType.String => "string",
        (uint)FeastKeyType.Int32 => "int32",
        (uint)FeastKeyType.Int64 => "int64",
        1 => "bytes",
        _ => $"type {type}",
    };

    /// <summary>One read's stored values, decoded, checked against the view's time to live and set into the table; problems counted.</summary>
    private sealed class RowSink(
        FeastFeatureSource source,
        List<FeastViewRead> reads,
        List<Dictionary<string, int>?> columns,
        Dictionary<byte[], List<int>> rowsByKey,
        FeatureTableBuilder builder,
        DateTimeOffset now) : IFeastRowSink
    {
        private readonly long[] _expired = new long[reads.Count];

        public void Value(int view, byte[] key, string feature, ReadOnlySpan<byte> value, DateTimeOffset? eventTime)
        {
            if (!rowsByKey.TryGetValue(key, out var rows))
            {
                return;
            }

            var read = reads[view];
            var viewColumns = columns[view];
            var column = -1;
            if (viewColumns is not null && !viewColumns.TryGetValue(feature, out column))
            {
                return;
            }

            if (read.TimeToLive > TimeSpan.Zero && eventTime is { } time && now - time > read.TimeToLive)
            {
                _expired[view]++;
                return;
            }

            var status = FeastValueDecoder.Decode(value, out var decoded, out _);
            if (status != FeastValueStatus.Value)
            {
                if (status != FeastValueStatus.Null)
                {
                    source._metrics.BadValue(read.View, feature, status);
                }

                return;
            }

            var name = viewColumns is null ? source._registryNames[read.View].GetValueOrDefault(feature) ?? new FeastFeatureRef(read.View, feature).ToString() : null;
            foreach (var row in rows)
            {
                if (name is null)
                {
                    builder.Set(row, column, decoded);
                }
                else
                {
                    builder.Set(row, name, decoded);
                }
            }
        }

        public void ViewAbsent(int view) => source._metrics.AbsentView(reads[view].View);

        public void BadEventTime(int view) => source._metrics.BadValue(reads[view].View, "_ts", FeastValueStatus.Corrupt);

        public void CountExpired()
        {
            for (var view = 0; view < _expired.Length; view++)
            {
                if (_expired[view] > 0)
                {
                    source._metrics.Expired(reads[view].View, _expired[view]);
                }
            }
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
