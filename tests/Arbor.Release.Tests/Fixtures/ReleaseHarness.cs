using Arbor.Release.Applying;
using Arbor.Release.Environments;
using Arbor.Release.Journal;
using Arbor.Release.Planning;
using Arbor.Release.Verification;
using Arbor.Signatures.Bundles;
using Arbor.Testing;

namespace Arbor.Release.Tests.Fixtures;

/// <summary>
/// A source repository (ctr 1 and 2, exp 1) and canary/production environments serving ctr 1 and
/// exp 1 with a matching homefeed bundle, plus the release machinery over them.
/// </summary>
internal sealed class ReleaseHarness : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly HttpClient _http = new();

    public ReleaseHarness()
    {
        Repository = new TestModelRepository(_dir.Combine("repo"));
        Repository.AddVersion("ctr", "1", TestModelRepository.Features(0, 10));
        Repository.AddVersion("ctr", "2", TestModelRepository.Features(5, 10));
        Repository.AddVersion("exp", "1", TestModelRepository.Features(50, 4));
        Environments = TestEnvironments.Create(_dir.Combine("envs"));
        TestEnvironments.Seed(Environments, Repository, "homefeed", ("ctr", "1"), ("exp", "1"));
        Store = new ReleaseStore(Environments.ReleasesDirectory);
        Roots = new RootAdminClient(_http);
    }

    public TestModelRepository Repository { get; }

    public ReleaseEnvironments Environments { get; }

    public EnvironmentDirectory Canary => Environments.Get("canary");

    public EnvironmentDirectory Production => Environments.Get("production");

    public ReleaseStore Store { get; }

    public RootAdminClient Roots { get; }

    public LeafModelsClient Leaves { get; } = new();

    public List<string> Progress { get; } = [];

    public ReleasePlan Plan(params string[] ships) =>
        new ReleasePlanner(TimeProvider.System).Plan(Environments, new ReleaseRequest(Repository.Path, [.. ships.Select(ModelVersionRef.Parse)]));

    public ReleaseGates Gates(IReadOnlyDictionary<string, EnvironmentEndpoints>? endpoints = null, GateOptions? options = null) =>
        new(endpoints ?? new Dictionary<string, EnvironmentEndpoints>(), Roots, Leaves,
            options ?? new GateOptions { SkipCanaryAnalysis = true, WaitTimeout = TimeSpan.FromSeconds(20), PollInterval = TimeSpan.FromMilliseconds(50) },
            TimeProvider.System);

    public ReleaseExecutor Executor(ReleaseGates? gates = null) =>
        new(Environments, Store, gates ?? Gates(), TimeProvider.System, line =>
        {
            lock (Progress)
            {
                Progress.Add(line);
            }
        });

    /// <summary>Everything a rollback must restore: per environment, the version folders and the bundle bytes.</summary>
    public Dictionary<string, (string Versions, byte[]? Bundle)> Snapshot() =>
        Environments.Environments.ToDictionary(
            e => e.Name,
            e => (string.Join(";", e.ListDeployed().Select(m => $"{m.Key}=[{string.Join(",", m.Value)}]")), e.ReadBundleBytes("homefeed")));

    public static BundleDocument Bundle(EnvironmentDirectory env) => TestEnvironments.ReadBundle(env, "homefeed");

    public void Dispose()
    {
        Leaves.Dispose();
        _http.Dispose();
        _dir.Dispose();
    }
}
