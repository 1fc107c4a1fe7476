using Arbor.Cli.Cluster;

namespace Arbor.Cli.Bench;

/// <summary>
/// A stand-in for a Kubernetes Service in front of the roots: it reads every root's <c>/readyz</c>
/// at a fixed interval (an endpoints controller's job) and hands callers the ready ones in turn.
/// A root that turns unready (a drain) stops getting new requests within one interval.
/// </summary>
public sealed class ReadyEndpoints : IAsyncDisposable
{
    private readonly IReadOnlyList<RootProcess> _roots;
    private readonly TimeSpan _interval;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refresh;
    private RootProcess[] _ready;
    private long _next;

    public ReadyEndpoints(IReadOnlyList<RootProcess> roots, TimeSpan interval)
    {
        _roots = roots;
        _interval = interval;
        _ready = [.. roots];
        _http = new HttpClient { Timeout = interval * 5 };
        _refresh = Task.Run(RefreshLoopAsync);
    }

    /// <summary>The next ready root (round robin), or null when none is ready.</summary>
    public RootProcess? Next()
    {
        var ready = Volatile.Read(ref _ready);
        return ready.Length == 0 ? null : ready[(int)(Interlocked.Increment(ref _next) % ready.Length)];
    }

    /// <summary>Whether <paramref name="root"/> is among the endpoints now.</summary>
    public bool Contains(RootProcess root) => Array.IndexOf(Volatile.Read(ref _ready), root) >= 0;

    private async Task RefreshLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var checks = await Task.WhenAll(_roots.Select(IsReadyAsync));
            Volatile.Write(ref _ready, [.. _roots.Where((_, i) => checks[i])]);
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

    private async Task<bool> IsReadyAsync(RootProcess root)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(root.AdminAddress, "/readyz"), _stop.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _refresh;
        _stop.Dispose();
        _http.Dispose();
    }
}
