using System.Collections.Concurrent;
using System.Text;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// Feast's Redis online store (<c>online_store: type: redis</c>), laid out as
/// <see cref="FeastRedisLayout"/> says. A read sends one HMGET per entity, carrying the fields of
/// every view read and their <c>_ts</c> fields, all of a batch pipelined before any reply is awaited.
/// Start-up can look only at a sample: a bounded SCAN of the project's keys gives, per view, a hash
/// holding its <c>_ts</c> field, whose key and mapped features are checked; a view no sampled hash
/// holds is not reported (Redis keeps no list of views), its features are missing at request time.
/// The connection string is StackExchange.Redis's (<c>host:port,password=...,ssl=true</c>); Feast's
/// <c>db=N</c> and <c>username=</c> are taken too. It is never logged or quoted.
/// </summary>
internal sealed class RedisFeastOnlineStore : FeastOnlineStore
{
    // Start-up's sample: SCAN calls of about ScanCount keys each, stopping at SampleKeys matches.
    private const int ScanCalls = 10;
    private const int ScanCount = 1000;
    private const int SampleKeys = 256;

    private readonly ConfigurationOptions _configuration;
    private readonly string _project;
    private readonly byte[] _projectBytes;
    private readonly FeastSourceMetrics _metrics;
    private readonly SemaphoreSlim _connecting = new(1, 1);

    // (view, feature) → its hash field, hashed once: the features read are the registry's, a bounded set.
    private readonly ConcurrentDictionary<(string View, string Feature), RedisValue> _fields = new();
    private ConnectionMultiplexer? _connection;
    private List<byte[]>? _sample;

    public RedisFeastOnlineStore(string connectionString, string project, FeastSourceMetrics metrics)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(project);
        _configuration = ParseConnectionString(connectionString);

        // Reachable later is fine: it reconnects by itself. Meanwhile commands fail at once (an
        // outage the feature cache serves stale through) rather than wait in a backlog.
        _configuration.AbortOnConnectFail = false;
        _configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _project = project;
        _projectBytes = Encoding.UTF8.GetBytes(project);
        _metrics = metrics;
    }

    public override bool ListsFeatures => false;

    public override async Task PingAsync(CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        await database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public override Task<string?> FindViewProblemAsync(string view, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public override async Task<byte[]?> SampleKeyAsync(string view, CancellationToken cancellationToken) =>
        await SampleHoldingAsync(view, cancellationToken).ConfigureAwait(false) is { } key ? key[..^_projectBytes.Length] : null;

    public override async Task<IReadOnlyList<(string Feature, byte[] Value)>> SampleValuesAsync(string view, IReadOnlyCollection<string> features, CancellationToken cancellationToken)
    {
        if (features.Count == 0 || await SampleHoldingAsync(view, cancellationToken).ConfigureAwait(false) is not { } key)
        {
            return [];
        }

        var names = features.ToArray();
        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var fields = names.Select(f => (RedisValue)FeastRedisLayout.Field(view, f)).ToArray();
        var values = await database.HashGetAsync(key, fields).WaitAsync(cancellationToken).ConfigureAwait(false);
        var found = new List<(string, byte[])>();
        for (var i = 0; i < names.Length; i++)
        {
            if (!values[i].IsNull)
            {
                found.Add((names[i], (byte[])values[i]!));
            }
        }

        return found;
    }

    public override async Task ReadAsync(IReadOnlyList<byte[]> keys, IReadOnlyList<FeastViewRead> views, IFeastRowSink sink, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);

        // One field list for every entity: each view's features, then its _ts field.
        var count = 0;
        foreach (var view in views)
        {
            count += view.Features!.Count + 1;
        }

        var fields = new RedisValue[count];
        var at = 0;
        foreach (var view in views)
        {
            foreach (var feature in view.Features!)
            {
                fields[at++] = FieldOf(view.View, feature);
            }

            fields[at++] = FeastRedisLayout.EventTimeField(view.View);
        }

        var batch = database.CreateBatch();
        var replies = new Task<RedisValue[]>[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            replies[i] = batch.HashGetAsync(FeastRedisLayout.Key(keys[i], _project), fields);
        }

        batch.Execute();
        _metrics.RedisCommands("HMGET", keys.Count);

        // WhenAll observes every reply, also those after a failed one.
        await Task.WhenAll(replies).WaitAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < keys.Count; i++)
        {
            Deliver(keys[i], replies[i].Result, views, sink);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        _connecting.Dispose();
    }

    private RedisValue FieldOf(string view, string feature) =>
        _fields.TryGetValue((view, feature), out var field) ? field : _fields.GetOrAdd((view, feature), static key => FeastRedisLayout.Field(key.View, key.Feature));

    private static void Deliver(byte[] key, RedisValue[] values, IReadOnlyList<FeastViewRead> views, IFeastRowSink sink)
    {
        var anyView = false;
        var at = 0;
        foreach (var view in views)
        {
            at += view.Features!.Count;
            anyView |= !values[at++].IsNull;
        }

        at = 0;
        for (var v = 0; v < views.Count; v++)
        {
            var features = views[v].Features!;
            var first = at;
            at += features.Count + 1;
            var stamp = values[at - 1];
            DateTimeOffset? eventTime = null;
            if (stamp.IsNull)
            {
                if (anyView)
                {
                    sink.ViewAbsent(v);
                }
            }
            else if (FeastRedisLayout.TryReadTimestamp(((ReadOnlyMemory<byte>)stamp).Span, out var time))
            {
                eventTime = time;
            }
            else
            {
                sink.BadEventTime(v);
                continue;
            }

            for (var f = 0; f < features.Count; f++)
            {
                var value = values[first + f];
                if (!value.IsNull)
                {
                    sink.Value(v, key, features[f], ((ReadOnlyMemory<byte>)value).Span, eventTime);
                }
            }
        }
    }

    /// <summary>A sampled key (with the project) whose hash has <paramref name="view"/>'s <c>_ts</c> field, or null.</summary>
    private async Task<byte[]?> SampleHoldingAsync(string view, CancellationToken cancellationToken)
    {
        var sample = await SampleAsync(cancellationToken).ConfigureAwait(false);
        if (sample.Count == 0)
        {
            return null;
        }

        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var batch = database.CreateBatch();
        var holds = sample.Select(k => batch.HashExistsAsync(k, FeastRedisLayout.EventTimeField(view))).ToArray();
        batch.Execute();
        await Task.WhenAll(holds).WaitAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < sample.Count; i++)
        {
            if (holds[i].Result)
            {
                return sample[i];
            }
        }

        return null;
    }

    /// <summary>Up to <see cref="SampleKeys"/> keys ending in the project's name, from at most <see cref="ScanCalls"/> SCAN calls.</summary>
    private async Task<List<byte[]>> SampleAsync(CancellationToken cancellationToken)
    {
        if (_sample is { } cached)
        {
            return cached;
        }

        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var pattern = new List<byte> { (byte)'*' };
        foreach (var b in _projectBytes)
        {
            if (b is (byte)'*' or (byte)'?' or (byte)'[' or (byte)']' or (byte)'\\')
            {
                pattern.Add((byte)'\\');
            }

            pattern.Add(b);
        }

        var sample = new List<byte[]>();
        RedisValue cursor = 0;
        for (var call = 0; call < ScanCalls && sample.Count < SampleKeys; call++)
        {
            var reply = (RedisResult[])(await database.ExecuteAsync("SCAN", cursor, "MATCH", pattern.ToArray(), "COUNT", ScanCount).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            cursor = (RedisValue)reply[0];
            foreach (var key in (RedisResult[])reply[1]!)
            {
                if (sample.Count < SampleKeys)
                {
                    sample.Add((byte[])key!);
                }
            }

            if (cursor == 0)
            {
                break;
            }
        }

        _sample = sample;
        return sample;
    }

    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is not { } connection)
        {
            await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                connection = _connection ??= await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
            }
            finally
            {
                _connecting.Release();
            }
        }

        return connection.GetDatabase();
    }

    /// <summary>StackExchange.Redis's configuration string, with Feast's (redis-py's) <c>db</c> and <c>username</c> spelled its way; never quoted in an error.</summary>
    private static ConfigurationOptions ParseConnectionString(string connectionString)
    {
        var parts = connectionString.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].StartsWith("db=", StringComparison.OrdinalIgnoreCase))
            {
                parts[i] = "defaultDatabase=" + parts[i][3..];
            }
            else if (parts[i].StartsWith("username=", StringComparison.OrdinalIgnoreCase))
            {
                parts[i] = "user=" + parts[i][9..];
            }
        }

        try
        {
            return ConfigurationOptions.Parse(string.Join(',', parts));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or RedisException)
        {
            // The driver's message may quote the string, password and all.
            throw new FeastSourceException("The Feast Redis connection string is not valid (host:port[,password=...][,ssl=true][,db=N]).");
        }
    }
}
