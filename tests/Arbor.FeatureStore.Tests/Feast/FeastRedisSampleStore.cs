using System.Globalization;
using Arbor.FeatureStore.Feast;
using Arbor.Root.Store;
using Arbor.Testing.Feast;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Tests.Feast;

/// <summary>
/// A private Redis server holding the sample feature data in Feast's Redis layout (written by
/// feast_writer.py) in database 0, once per test class. Tests that change the data take their own
/// copy in another database.
/// </summary>
public sealed class FeastRedisSampleStore : IAsyncLifetime
{
    private int _databases;

    public LocalRedisServer Server { get; } = new();

    /// <summary>The connection string of the sample (database 0).</summary>
    public string ConnectionString => Server.ConnectionString;

    public ConnectionMultiplexer Client { get; private set; } = null!;

    /// <summary>The connection string of a new database holding a copy of the sample.</summary>
    public async Task<(string ConnectionString, IDatabase Database)> CopyAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Increment(ref _databases);
        var source = Client.GetDatabase(0);
        var keys = new List<RedisKey>();
        await foreach (var key in Client.GetServers()[0].KeysAsync(0, pageSize: 1000).WithCancellation(cancellationToken))
        {
            keys.Add(key);
        }

        var batch = source.CreateBatch();
        var copies = keys.Select(k => batch.KeyCopyAsync(k, k, target)).ToArray();
        batch.Execute();
        Assert.All(await Task.WhenAll(copies), Assert.True);
        return (ConnectionString + string.Create(CultureInfo.InvariantCulture, $",defaultDatabase={target}"), Client.GetDatabase(target));
    }

    /// <summary>The Redis key of a sample user.</summary>
    public static byte[] UserKey(string id) =>
        FeastRedisLayout.Key(FeastEntityKey.TryEncode(FeastWriter.UserJoinKey, FeastKeyType.String, id)!, FeastWriter.Project);

    public async ValueTask InitializeAsync()
    {
        await FeastWriter.WriteSampleRedisAsync(ConnectionString, 0, FeastSampleStore.Written, TestContext.Current.CancellationToken);
        var options = ConfigurationOptions.Parse(ConnectionString);
        options.AllowAdmin = true;
        Client = await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        Server.Dispose();
    }
}
