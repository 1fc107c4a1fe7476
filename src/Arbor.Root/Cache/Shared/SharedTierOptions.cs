namespace Arbor.Root.Cache.Shared;

/// <summary>Where the shared second cache tier is and how long it waits (config <c>cache.shared</c>).</summary>
public sealed class SharedTierOptions
{
    /// <summary>A <c>redis://</c> URL or StackExchange.Redis configuration string. Never logged.</summary>
    public required string Redis { get; init; }

    /// <summary>Prefix of the tier's keys (<c>{prefix}{kind}:{id}</c>).</summary>
    public string KeyPrefix { get; init; } = "arbor:tier:";

    /// <summary>An entry is served only while the store read that fetched it is younger than this.</summary>
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a read of the tier may take before the request goes to the store instead.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>After a tier failure (error or timeout), how long the tier is skipped before it is tried again.</summary>
    public TimeSpan FailureBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Write-backs in flight at most; a store read finishing beyond it does not write back (counted as dropped).</summary>
    public int MaxPendingWrites { get; init; } = 64;

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Redis);
        if (TimeToLive <= TimeSpan.Zero || Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(TimeToLive)} and {nameof(Timeout)} must be positive.");
        }

        if (FailureBackoff < TimeSpan.Zero || MaxPendingWrites <= 0)
        {
            throw new ArgumentException($"{nameof(FailureBackoff)} must not be negative and {nameof(MaxPendingWrites)} must be positive.");
        }
    }
}
