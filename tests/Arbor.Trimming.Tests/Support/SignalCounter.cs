using Arbor.Trimming.Bundles;

namespace Arbor.Trimming.Tests.Support;

/// <summary>Lets a test wait, with a bound, for a bundle source to be signalled by its watcher.</summary>
internal sealed class SignalCounter : IDisposable
{
    private readonly BundleSource _source;
    private readonly SemaphoreSlim _signals = new(0);

    public SignalCounter(BundleSource source)
    {
        _source = source;
        _source.Signaled += OnSignaled;
    }

    /// <summary>Waits for a signal raised since the last wait (draining any others already raised).</summary>
    public bool WaitForSignal(TimeSpan timeout)
    {
        if (!_signals.Wait(timeout))
        {
            return false;
        }

        while (_signals.Wait(0))
        {
        }

        return true;
    }

    public void Dispose()
    {
        _source.Signaled -= OnSignaled;
        _signals.Dispose();
    }

    private void OnSignaled() => _signals.Release();
}
