using Arbor.Leaf.Inference;

namespace Arbor.Leaf.Models;

/// <summary>
/// A request's hold on a model version: the version is not freed while any lease is alive.
/// Dispose exactly once.
/// </summary>
public struct VersionLease : IDisposable
{
    private ServableVersion? _version;

    internal VersionLease(ServableVersion version)
    {
        _version = version;
    }

    public readonly ServableVersion Version => _version ?? throw new InvalidOperationException("empty lease");

    public readonly ModelRunner Runner => Version.Loaded?.Runner ?? throw new InvalidOperationException("the version is not loaded");

    public void Dispose()
    {
        var version = _version;
        _version = null;
        version?.Release();
    }
}
