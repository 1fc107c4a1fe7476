namespace Arbor.Cli.Bench;

/// <summary>
/// A stand-in for a Kubernetes Service in front of the roots: it checks every root's readiness at a
/// fixed interval (an endpoints controller's job) and hands callers the ready ones in turn. A root
/// that turns unready (a drain) stops getting new requests within one interval. A root that comes
/// back at another address is <see cref="Replace"/>d. No root is taken as ready before its first check.
/// </summary>
public sealed class ReadyEndpoints : IAsyncDisposable
{
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refresh;
    private RootEndpoint[] _all;
    private RootEndpoint[] _ready;
    private long _next;

    public ReadyEndpoints(IEnumerable<RootEndpoint> roots, TimeSpan interval)
    {
        _all = [.. roots];
        _ready = [];
        _interval = interval;
        _refresh = Task.Run(RefreshLoopAsync);
    }

    /// <summary>The next ready root (round robin), or null when none is ready.</summary>
    public RootEndpoint? Next()
    {
        var ready = Volatile.Read(ref _ready);
        return ready.Length == 0 ? null : ready[(int)(Interlocked.Increment(ref _next) % ready.Length)];
    }

    /// <summary>Whether the root named <paramref name="name"/> is among the ready endpoints now.</summary>
    public bool IsReady(string name) => Volatile.Read(ref _ready).Any(r => r.Name == name);

    /// <summary>Waits until every root has been found ready (a fleet that has just started).</summary>
    public async Task WaitUntilAllReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while (Volatile.Read(ref _ready).Length < Volatile.Read(ref _all).Length)
            {
                await Task.Delay(_interval, limit.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"only {Volatile.Read(ref _ready).Length} of {Volatile.Read(ref _all).Length} roots were ready after {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Puts <paramref name="root"/> in place of the endpoint of the same name (a pod back at a new address).</summary>
    public void Replace(RootEndpoint root)
    {
        ArgumentNullException.ThrowIfNull(root);
        lock (_stop)
        {
            Volatile.Write(ref _all, [.. Volatile.Read(ref _all).Select(r => r.Name == root.Name ? root : r)]);
        }
    }

    private async Task RefreshLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var all = Volatile.Read(ref _all);
            var checks = await Task.WhenAll(all.Select(IsReadyAsync));
            Volatile.Write(ref _ready, [.. all.Where((_, i) => checks[i])]);
            try
            {
                await Task.Delay(_interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> IsReadyAsync(RootEndpoint root)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_interval * 5);
        try
        {
            return await root.IsReadyAsync(timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or Grpc.Core.RpcException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _refresh;
        _stop.Dispose();
    }
}
