using Arbor.Root.Admission;
using Arbor.Root.Batching;
using Arbor.Root.Cache;
using Arbor.Root.ClientTrimming;
using Arbor.Root.Diagnostics;
using Arbor.Root.FanOut;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Root.Scoring;
using Arbor.Telemetry.Status;
using Arbor.Trimming;
using Arbor.Trimming.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Hosting;

/// <summary>
/// The scoring path the warm-up runs: the same code as a client request's (admission, scorer,
/// cache, preprocessing, trim and encoding, fan-out over the shared leaf channels, the counts of
/// requests, models and trims, the status page's traffic history), on instances of its own so that
/// nothing it does is traffic: a private feature cache (the shared one never holds a synthetic id),
/// an admission queue of its own (with the same limits), every instrument on meters named
/// <see cref="MeterName"/> in a scope of their own (not exported, not in the status page's
/// history; <see cref="WarmupMeters"/>), trims counted there rather than in the trimmer's
/// statistics, and no shadow sampling.
/// </summary>
public sealed class WarmupScorer : IDisposable
{
    /// <summary>The warm-up's own meter: its requests are counted here and nowhere else.</summary>
    public const string MeterName = "Arbor.Root.Warmup";

    private readonly WarmupMeters _meters = new();
    private readonly AdmissionControl _admission;
    private readonly TrafficHistory _traffic;

    private WarmupScorer(IServiceProvider services)
    {
        var time = services.GetRequiredService<TimeProvider>();
        Metrics = new RootMetrics(_meters, time, MeterName);
        var cacheMetrics = new FeatureCacheMetrics(_meters, MeterName);
        var fanOutMetrics = new FanOutMetrics(_meters, MeterName);
        _admission = new AdmissionControl(services.GetRequiredService<AdmissionOptions>(), new AdmissionMetrics(_meters), time);
        _traffic = new TrafficHistory(RootStatusPage.Instruments, _meters, time, RootStatusPage.Slot, RootStatusPage.Slots);
        var preprocessor = services.GetRequiredService<FeaturePreprocessor>();
        var cache = new FeatureCache(
            services.GetRequiredService<PreprocessedFeatureSource>(),
            services.GetRequiredService<FeatureCacheOptions>(),
            time,
            cacheMetrics,
            services.GetRequiredService<ILogger<FeatureCache>>());
        var trimmer = services.GetRequiredService<FeatureTrimmer>();
        Scorer = new RootScorer(
            services.GetRequiredService<RoutingState>(),
            trimmer,
            new RequestBatchAssembler(new RequestFeatureLoader(cache, preprocessor, Metrics)),
            services.GetRequiredService<FetchPlanner>(),
            new LeafFanOut(services.GetRequiredService<LeafClientPool>(), Metrics, fanOutMetrics, trimmer),
            Metrics,
            time,
            admission: _admission,
            clientViews: services.GetRequiredService<ClientFeatureViews>(),
            logger: services.GetRequiredService<ILogger<RootScorer>>(),
            shadow: null,
            trims: new TrimmerMetrics(_meters));
    }

    public RootScorer Scorer { get; }

    /// <summary>The warm-up's counts (requests, errors, candidates).</summary>
    public RootMetrics Metrics { get; }

    public static WarmupScorer Create(IServiceProvider services) => new(services);

    public void Dispose()
    {
        _traffic.Dispose();
        _admission.Dispose();
        Metrics.Dispose();
        _meters.Dispose();
    }
}
