using Arbor.Root.Store;

namespace Arbor.FeatureStore.Tests.Redis;

/// <summary>One private Redis server shared by a test class; each test gets its own key prefix.</summary>
public sealed class RedisServerFixture : IDisposable
{
    private int _prefixes;

    public LocalRedisServer Server { get; } = new();

    /// <summary>A key prefix no other test of the class uses.</summary>
    public string NextPrefix() => $"t{Interlocked.Increment(ref _prefixes)}:";

    public void Dispose() => Server.Dispose();
}
