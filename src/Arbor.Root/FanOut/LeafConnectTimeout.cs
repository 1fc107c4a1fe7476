using Arbor.Root.Configuration;

namespace Arbor.Root.FanOut;

/// <summary>
/// How long the root waits for a connection to a leaf replica (<c>fan_out.connect_timeout_ms</c>).
/// A replica that is gone without a trace (its pod deleted, its address not yet out of DNS) does
/// not refuse a connection: nothing answers at all. An attempt that times out fails like a refused
/// one, so the call goes to another replica within its deadline.
/// </summary>
public static class LeafConnectTimeout
{
    /// <summary>Without a leaf timeout: the value the RPC client has always used.</summary>
    public static TimeSpan WithoutLeafTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <summary>The configured value; else a quarter of <c>limits.leaf_timeout_ms</c>; else <see cref="WithoutLeafTimeout"/>.</summary>
    public static TimeSpan For(RootConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.FanOut.ConnectTimeoutMs is { } configured)
        {
            return TimeSpan.FromMilliseconds(configured);
        }

        return config.Limits.LeafTimeoutMs is { } leafTimeout
            ? TimeSpan.FromMilliseconds(Math.Max(1, leafTimeout / 4))
            : WithoutLeafTimeout;
    }
}
