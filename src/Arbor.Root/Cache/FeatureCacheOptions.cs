namespace Arbor.Root.Cache;

/// <summary>Bounds and timing of the <see cref="FeatureCache"/>.</summary>
public sealed class FeatureCacheOptions
{
    /// <summary>Approximate memory the entries may hold; least recently used entries go first beyond it.</summary>
    public long MaxBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>How long a fetched value is served before it is read again.</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long past <see cref="TimeToLive"/> an entry may still be served when the store fails
    /// (stale-while-error). Zero turns stale serving off.
    /// </summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// After a failed store read, how long expired entries that may be served stale are served
    /// without asking the store again (spares a failing store one query per request).
    /// </summary>
    public TimeSpan FailureBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a request waits for the refresh of expired entities that hold a copy that may be
    /// served stale before it serves those copies instead (entities without one wait for the read
    /// until the request's deadline). A store read slower than this counts as a failure for
    /// <see cref="FailureBackoff"/>; it goes on while other requests still wait for it.
    /// </summary>
    public TimeSpan RefreshWait { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxBytes <= 0)
        {
            throw new ArgumentException($"{nameof(MaxBytes)} must be positive.");
        }

        if (TimeToLive <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(TimeToLive)} must be positive.");
        }

        if (RefreshWait <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(RefreshWait)} must be positive.");
        }

        if (MaxStaleness < TimeSpan.Zero || FailureBackoff < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(MaxStaleness)} and {nameof(FailureBackoff)} must not be negative.");
        }
    }
}
