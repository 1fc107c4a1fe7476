namespace Arbor.Leaf.Models;

/// <summary>
/// One model version and its lifecycle (docs/leaf.md): Loading → Available → Unloading → Unloaded,
/// or Loading → Failed. Requests hold it through ref-counted <see cref="VersionLease"/>s; the
/// partition holds one reference while the version is published. Retiring drops that reference,
/// so the native model is freed by whichever release comes last, never under a running request.
/// </summary>
public sealed class ServableVersion
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _unloaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LoadedModel? _loaded;
    private int _references;

    public ServableVersion(RepositoryVersion source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
    }

    public RepositoryVersion Source { get; }

    public string Model => Source.Model;

    public string Version => Source.Version;

    public ModelVersionState State { get; private set; } = ModelVersionState.Loading;

    /// <summary>Why loading failed (state Failed).</summary>
    public string? Error { get; private set; }

    /// <summary>The loaded model while Available or Unloading.</summary>
    public LoadedModel? Loaded => _loaded;

    /// <summary>Requests holding this version now.</summary>
    public int InFlight
    {
        get
        {
            var references = Volatile.Read(ref _references);
            return State == ModelVersionState.Available ? Math.Max(references - 1, 0) : references;
        }
    }

    /// <summary>Completes once the version is freed (or failed).</summary>
    public Task Unloaded => _unloaded.Task;

    /// <summary>Raised (on the releasing thread) once the native model is freed.</summary>
    internal Action<ServableVersion>? OnUnloaded { get; set; }

    /// <summary>Loading → Available: the version may now be published.</summary>
    public void MarkAvailable(LoadedModel loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        lock (_gate)
        {
            Transition(ModelVersionState.Loading, ModelVersionState.Available);
            _loaded = loaded;
            Volatile.Write(ref _references, 1);
        }
    }

    /// <summary>Loading → Failed.</summary>
    public void MarkFailed(string error)
    {
        lock (_gate)
        {
            Transition(ModelVersionState.Loading, ModelVersionState.Failed);
            Error = error;
        }

        _unloaded.TrySetResult();
    }

    /// <summary>Takes a reference for one request; false once the version is retiring or gone.</summary>
    public bool TryAcquire(out VersionLease lease)
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                lease = new VersionLease(this);
                return true;
            }

            current = seen;
        }

        lease = default;
        return false;
    }

    /// <summary>Available → Unloading: drops the partition's reference (call after unpublishing).</summary>
    public void Retire()
    {
        lock (_gate)
        {
            Transition(ModelVersionState.Available, ModelVersionState.Unloading);
        }

        Release();
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _ = Task.Run(FreeAsync);
        }
    }

    private async Task FreeAsync()
    {
        var loaded = Interlocked.Exchange(ref _loaded, null);
        try
        {
            if (loaded is not null)
            {
                await loaded.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_gate)
            {
                Transition(ModelVersionState.Unloading, ModelVersionState.Unloaded);
            }

            OnUnloaded?.Invoke(this);
            _unloaded.TrySetResult();
        }
    }

    private void Transition(ModelVersionState from, ModelVersionState to)
    {
        if (State != from)
        {
            throw new InvalidOperationException($"{Model} version {Version}: cannot go from {State} to {to} (expected {from})");
        }

        State = to;
    }

    public override string ToString() => $"{Model}/{Version} ({State})";
}
