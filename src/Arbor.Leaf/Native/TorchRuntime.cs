namespace Arbor.Leaf.Native;

/// <summary>Process-wide libtorch set-up: applied once, before the first model loads.</summary>
public static unsafe class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static TorchThreading? _applied;

    /// <summary>The settings in force, or null before the first <see cref="Configure"/>.</summary>
    public static TorchThreading? Applied
    {
        get
        {
            lock (Gate)
            {
                return _applied;
            }
        }
    }

    /// <summary>
    /// Applies thread settings. The inter-op pool size can only be set once per process: later calls
    /// keep the first value, which the returned settings report.
    /// </summary>
    public static TorchThreading Configure(TorchThreading settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        lock (Gate)
        {
            int interop = 0;
            byte* error = null;
            int status;
            try
            {
                status = TorchNative.Configure(settings.IntraOpThreads, settings.InteropThreads, settings.GraphOptimize ? 1 : 0, &interop, &error);
            }
            catch (Exception e) when (TorchErrors.IsLibraryProblem(e))
            {
                throw TorchErrors.LibraryProblem(e);
            }

            TorchErrors.ThrowIfFailed(status, error, "configuring libtorch");
            _applied = settings with { InteropThreads = interop };
            return _applied;
        }
    }

    /// <summary>Applies the defaults unless settings were applied already.</summary>
    public static void EnsureConfigured()
    {
        lock (Gate)
        {
            if (_applied is null)
            {
                Configure(new TorchThreading());
            }
        }
    }
}
