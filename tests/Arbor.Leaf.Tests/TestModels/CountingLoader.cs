using System.Collections.Concurrent;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Diagnostics;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;

namespace Arbor.Leaf.Tests.TestModels;

/// <summary>
/// The real <see cref="ModelVersionLoader"/> behind a counter of load attempts per model version.
/// Dispose it after the partition that uses it.
/// </summary>
internal sealed class CountingLoader : IModelVersionLoader, IDisposable
{
    private readonly InferenceLimiter _limiter;
    private readonly LeafMetrics _metrics = new();
    private readonly ModelVersionLoader _inner;
    private readonly ConcurrentDictionary<(string Model, string Version), int> _attempts = new();

    public CountingLoader(PartitionConfig config, TimeProvider? time = null)
    {
        _limiter = new InferenceLimiter(config.Concurrency);
        _inner = new ModelVersionLoader(config, _limiter, time ?? TimeProvider.System, _metrics);
    }

    /// <summary>Calls to <see cref="LoadAsync"/> for this version so far, successful or not.</summary>
    public int Attempts(string model, string version) => _attempts.GetValueOrDefault((model, version));

    /// <summary>Calls to <see cref="LoadAsync"/> so far, all versions together.</summary>
    public int Total => _attempts.Values.Sum();

    public Task<LoadedModel> LoadAsync(RepositoryVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        _attempts.AddOrUpdate((version.Model, version.Version), 1, (_, n) => n + 1);
        return _inner.LoadAsync(version, cancellationToken);
    }

    public void Dispose()
    {
        _limiter.Dispose();
        _metrics.Dispose();
    }
}
