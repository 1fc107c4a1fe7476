using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Arbor.Rpc.Client;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Faults;

/// <summary>
/// The sample system as processes for fault tests: one root (trimmed) and the two sample leaves
/// (partitions <c>homefeed</c> and <c>related</c>), with limits loose enough for a loaded machine
/// and tight enough that a hung leaf costs its models and not the request.
/// </summary>
public class FaultCluster : IAsyncLifetime
{
    /// <summary>A slow machine still answers well inside these; a hung leaf's calls end at the leaf timeout.</summary>
    public static readonly LimitsConfig Limits = new() { MaxCandidates = 2000, DefaultDeadlineMs = 20_000, LeafTimeoutMs = 4_000 };

    private readonly TempDirectory _work = new("arbor-faults-");
    private ServingCluster? _cluster;
    private ScoreWorkload? _workload;

    public ServingCluster Cluster => _cluster!;

    public RootProcess Root => Cluster.RootOf(BenchMode.Trimmed);

    public HttpClient Probe { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public LeafProcess Leaf(string partition) => Cluster.Leaves.Single(l => l.Partition == partition);

    /// <summary>The folder the cluster's configs, bundles and logs live in.</summary>
    public string WorkDirectory => _work.Path;

    public SampleArtefacts Artefacts { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var artefacts = await SampleArtefacts.EnsureAsync(RepositoryLocator.Find(), _work.Path, _ => { }, ct);
        Artefacts = artefacts;
        var environment = await PrepareRootAsync(artefacts, ct);
        _cluster = await ServingCluster.StartAsync(artefacts, [BenchMode.Trimmed], LeafLayout.Shared, ClusterPlacement.Loopback, _work.Path, _ => { }, ct, limits: Limits, rootEnvironment: environment, configureRoot: c => ConfigureRoot(c with { Warmup = WarmupOff }));
        _workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), BenchScenario.Small, seed: 11);
    }

    /// <summary>A request of the small scenario (30 candidates, surface <c>home</c>: models on both partitions).</summary>
    public ScoreRequest NextRequest() => _workload!.Next();

    public Task<ScoreResponse> ScoreAsync(ScoreRequest request, CancellationToken cancellationToken) =>
        Root.Channel.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(Limits.DefaultDeadlineMs) }, cancellationToken);

    /// <summary>Runs before the processes start (to set up a store); returns the root's extra environment.</summary>
    protected virtual Task<IReadOnlyDictionary<string, string>?> PrepareRootAsync(SampleArtefacts artefacts, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>?>(null);

    /// <summary>Changes the root's config before it starts.</summary>
    protected virtual RootConfig ConfigureRoot(RootConfig config) => config;

    /// <summary>The roots do not warm up: the leaves see only a test's calls.</summary>
    public static readonly WarmupConfig WarmupOff = new() { Enabled = false };

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        await DisposeCoreAsync();
        Probe.Dispose();
        _work.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what <see cref="PrepareRootAsync"/> set up, after the processes stopped.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;
}
