using Arbor.Root.Batching;
using Arbor.Root.Cache;
using Arbor.Root.ClientTrimming;
using Arbor.Root.Diagnostics;
using Arbor.Root.FanOut;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Root.Scoring;
using Arbor.Trimming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Hosting;

/// <summary>
/// The scoring path the warm-up runs: the same code as a client request's (scorer, cache,
/// preprocessing, trim and encoding, fan-out over the shared leaf channels), on instances of its
/// own so that nothing it does is traffic: a private feature cache (the shared one never holds a
/// synthetic id), metrics on meter <see cref="MeterName"/> (not exported), no shadow sampling, no
/// admission queue, and trims not counted in the trimmer's statistics.
/// </summary>
public sealed class WarmupScorer : IDisposable
{
    /// <summary>The warm-up's own meter: its requests are counted here and nowhere else.</summary>
    public const string MeterName = "Arbor.Root.Warmup";

    private readonly FeatureCacheMetrics _cacheMetrics;
    private readonly FanOutMetrics _fanOutMetrics;

    private WarmupScorer(IServiceProvider services)
    {
        var time = services.GetRequiredService<TimeProvider>();
        Metrics = new RootMetrics(time: time, meterName: MeterName);
        _cacheMetrics = new FeatureCacheMetrics(meterName: MeterName);
        _fanOutMetrics = new FanOutMetrics(meterName: MeterName);
        var preprocessor = services.GetRequiredService<FeaturePreprocessor>();
        var cache = new FeatureCache(
            services.GetRequiredService<PreprocessedFeatureSource>(),
            services.GetRequiredService<FeatureCacheOptions>(),
            time,
            _cacheMetrics,
            services.GetRequiredService<ILogger<FeatureCache>>());
        var trimmer = services.GetRequiredService<FeatureTrimmer>();
        Scorer = new RootScorer(
            services.GetRequiredService<RoutingState>(),
            trimmer,
            new RequestBatchAssembler(new RequestFeatureLoader(cache, preprocessor, Metrics)),
            services.GetRequiredService<FetchPlanner>(),
            new LeafFanOut(services.GetRequiredService<LeafClientPool>(), Metrics, _fanOutMetrics, trimmer),
            Metrics,
            time,
            admission: null,
            clientViews: services.GetRequiredService<ClientFeatureViews>(),
            logger: services.GetRequiredService<ILogger<RootScorer>>(),
            shadow: null,
            warmUp: true);
    }

    public RootScorer Scorer { get; }

    /// <summary>The warm-up's counts (requests, errors, candidates).</summary>
    public RootMetrics Metrics { get; }

    public static WarmupScorer Create(IServiceProvider services) => new(services);

    public void Dispose()
    {
        Metrics.Dispose();
        _cacheMetrics.Dispose();
        _fanOutMetrics.Dispose();
    }
}
