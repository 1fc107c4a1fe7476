using System.Data.Common;
using System.Net.Sockets;
using Arbor.FeatureStore.Sources;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Health;

/// <summary>
/// The feature store half of the root's readiness. Before the server accepts calls it initialises
/// the store (creates or migrates the schema; a Feast source checks its tables, keys and value
/// types); a store that cannot be reached then leaves the root running but not ready, and
/// initialisation is tried again every interval. Once initialised, every interval one round trip
/// (<see cref="IServableFeatureSource.CheckAsync"/>) bounded by the check timeout
/// says whether the store answers. A store that answers with a schema this build refuses fails the
/// start: that is a deployment mistake, not an outage.
/// </summary>
public sealed partial class FeatureStoreReadiness : PeriodicReadinessProbe
{
    private readonly IServableFeatureSource _store;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private DependencyReadiness _current;
    private bool _initialised;

    public FeatureStoreReadiness(IServableFeatureSource store, TimeSpan interval, TimeSpan timeout, TimeProvider time, ILogger<FeatureStoreReadiness> logger)
        : base(interval, time)
    {
        _store = store;
        _timeout = timeout;
        _logger = logger;
        _current = DependencyReadiness.Unchecked(time.GetUtcNow());
    }

    /// <summary>The last check's result.</summary>
    public DependencyReadiness Current => Volatile.Read(ref _current);

    protected override async Task CheckOnceAsync(bool starting, CancellationToken cancellationToken)
    {
        try
        {
            if (!_initialised)
            {
                // Initialisation may migrate a large store: it is bounded by the store's own timeouts, not the check's.
                await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
                _initialised = true;
            }
            else
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_timeout);
                await _store.CheckAsync(timeout.Token).WaitAsync(_timeout, Time, cancellationToken).ConfigureAwait(false);
            }

            Record(true, "answers", null);
        }
        catch (Exception e) when (IsOutage(e) && !cancellationToken.IsCancellationRequested)
        {
            Record(false, _initialised ? $"not answering ({e.GetType().Name})" : $"unreachable, not initialised ({e.GetType().Name})", e.Message);
        }
        catch (Exception e) when (!starting && !cancellationToken.IsCancellationRequested)
        {
            Record(false, $"failing ({e.GetType().Name})", e.Message);
        }
    }

    private static bool IsOutage(Exception e) =>
        e is DbException or SocketException or TimeoutException or IOException or OperationCanceledException
        || e is StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException
        || e.InnerException is { } inner && IsOutage(inner);

    private void Record(bool ready, string summary, string? error)
    {
        var previous = Current;
        Volatile.Write(ref _current, previous.Next(ready, summary, error, Time.GetUtcNow()));
        if (ready && !previous.Ready)
        {
            LogAnswers();
        }
        else if (!ready && (previous.Ready || previous.Error is null))
        {
            LogNotAnswering(summary, error ?? "");
        }
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Feature store answers; the root's store check is ready")]
    private partial void LogAnswers();

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Feature store {Summary}; the root is not ready until it answers: {Error}")]
    private partial void LogNotAnswering(string summary, string error);
}
