using Arbor.Leaf.Configuration;
using Arbor.Leaf.Diagnostics;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;
using Arbor.Leaf.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Leaf.Service;

/// <summary>
/// A running leaf partition without its network front: the model manager, the inference bound
/// and the scorer, built from a <see cref="PartitionConfig"/>.
/// </summary>
public sealed class LeafPartition : IAsyncDisposable
{
    private int _disposed;

    private readonly bool _ownsMetrics;

    public LeafPartition(PartitionConfig config, TimeProvider? time = null, ILoggerFactory? loggers = null, LeafMetrics? metrics = null, IModelVersionLoader? loader = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        time ??= TimeProvider.System;
        loggers ??= NullLoggerFactory.Instance;
        _ownsMetrics = metrics is null;
        Metrics = metrics ?? new LeafMetrics();
        Limiter = new InferenceLimiter(config.Concurrency, config.MaxQueued);
        TorchRuntime.Configure(config.Threads);
        loader ??= new ModelVersionLoader(config, Limiter, time, Metrics, loggers.CreateLogger("Arbor.Leaf.Models"));
        Manager = new ModelManager(config, new ModelRepository(config.Repository), loader, time, loggers.CreateLogger("Arbor.Leaf.Models"), Metrics);
        Metrics.ObserveVersions(Manager.Describe);
        Scorer = new LeafScorer(Manager, time, Metrics, loggers.CreateLogger("Arbor.Leaf.Service"), config.Server.MaxRowsPerCall);
        UnionScorer = new LeafUnionScorer(Scorer);
    }

    public PartitionConfig Config { get; }

    public LeafMetrics Metrics { get; }

    /// <summary>The partition's bound on forwards running and requests waiting for one.</summary>
    public InferenceLimiter Limiter { get; }

    public ModelManager Manager { get; }

    public LeafScorer Scorer { get; }

    /// <summary>Scores several models on one batch (ScoreUnion), each through <see cref="Scorer"/>.</summary>
    public LeafUnionScorer UnionScorer { get; }

    /// <summary>Live while the process runs (the scorer answers); ready when every required model has a serving version.</summary>
    public bool IsReady => Manager.IsReady;

    /// <summary>Loads the configured versions, then keeps polling the repository.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Manager.StartAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // The server disposes the partition after its host stops, and the host's container may too.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Manager.DisposeAsync().ConfigureAwait(false);
        Limiter.Dispose();
        if (_ownsMetrics)
        {
            Metrics.Dispose();
        }
    }
}
