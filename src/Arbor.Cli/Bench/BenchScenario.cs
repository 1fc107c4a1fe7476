using System.Globalization;
using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Arbor.Signatures.Bundles;

namespace Arbor.Cli.Bench;

/// <summary>
/// A workload shape: how many candidates each request carries, which surface (and so which models
/// and experiments) it hits, and the offered load.
/// </summary>
/// <param name="Name">The scenario's name (<c>--scenario</c>).</param>
/// <param name="Description">One line for reports.</param>
/// <param name="CandidatesPerRequest">Candidates drawn (without repetition) from the data set per request.</param>
/// <param name="RequestsPerSecond">Offered load, per mode.</param>
/// <param name="Surface">The surface every request names.</param>
public sealed record BenchScenario(string Name, string Description, int CandidatesPerRequest, double RequestsPerSecond, string Surface)
{
    /// <summary>
    /// Shaped like Pinterest's traffic: a few hundred candidates, a union of several hundred
    /// features, the production model of each of two partitions plus experiment variants that
    /// each score half of the users (2 to 5 models per request, 23–33% allowlists).
    /// </summary>
    public static BenchScenario Reference { get; } = new("reference", "300 candidates/request, surface 'home': 2 production models + 3 experiments (50% of users each) over 2 partitions, 391-feature union", 300, 2, "home");

    /// <summary>The reference shape at a tenth of the candidates: for quick checks and tests.</summary>
    public static BenchScenario Small { get; } = new("small", "30 candidates/request, surface 'home' as in 'reference'", 30, 4, "home");

    public static IReadOnlyList<BenchScenario> All { get; } = [Reference, Small];

    public static BenchScenario Get(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal))
        ?? throw new ArgumentException($"unknown scenario '{name}'; scenarios are {string.Join(", ", All.Select(s => s.Name))}");

    /// <summary>The surfaces every sample cluster serves (the same routing for every mode).</summary>
    public static Dictionary<string, SurfaceConfig> Surfaces() => new(StringComparer.Ordinal)
    {
        ["home"] = new SurfaceConfig
        {
            Models = ["homefeed_ctr", "related_mt"],
            Experiments =
            [
                new ExperimentConfig { Name = "homefeed_exp_a", Model = "homefeed_ctr_exp_a", Fraction = 0.5 },
                new ExperimentConfig { Name = "homefeed_exp_b", Model = "homefeed_ctr_exp_b", Fraction = 0.5 },
                new ExperimentConfig { Name = "related_exp_a", Model = "related_mt_exp_a", Fraction = 0.5 },
            ],
        },
        ["homefeed"] = new SurfaceConfig
        {
            Models = ["homefeed_ctr"],
            Experiments = [new ExperimentConfig { Name = "homefeed_exp_b", Model = "homefeed_ctr_exp_b", Replaces = "homefeed_ctr", Fraction = 0.2 }],
        },
        ["related"] = new SurfaceConfig { Models = ["related_mt", "related_mt_exp_a"] },
    };

    /// <summary>
    /// <paramref name="count"/> distinct models (name and version) for every request to name
    /// (<c>--models</c>): each model's newest version first, then older versions, taking the
    /// partitions in turn so the leaf calls spread over them. Versions other than the newest are
    /// served by null leaves (which answer any version) but not by the bench's real leaves.
    /// </summary>
    /// <exception cref="ArgumentException">The repository has fewer than <paramref name="count"/> model versions.</exception>
    public static IReadOnlyList<ModelSelector> ModelsPerRequest(PartitionManifest manifest, int count)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var queues = manifest.Partitions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
        {
            var newestFirst = p.Value.Models.Select(m => (Model: m, Versions: NewestFirst(p.Value, m))).ToList();
            var depth = newestFirst.Max(m => m.Versions.Count);
            return new Queue<ModelSelector>(Enumerable.Range(0, depth)
                .SelectMany(rank => newestFirst.Where(m => rank < m.Versions.Count).Select(m => new ModelSelector { Name = m.Model, Version = m.Versions[rank] })));
        }).ToList();
        var chosen = new List<ModelSelector>(count);
        while (chosen.Count < count && queues.Any(q => q.Count > 0))
        {
            foreach (var queue in queues)
            {
                if (chosen.Count < count && queue.TryDequeue(out var model))
                {
                    chosen.Add(model);
                }
            }
        }

        return chosen.Count == count
            ? chosen
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--models {count}: the sample repository has {chosen.Count} model versions"));

        static List<string> NewestFirst(Partition partition, string model) =>
            partition.Versions.TryGetValue(model, out var versions) && versions.Count > 0
                ? [.. versions.OrderByDescending(v => long.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue).ThenByDescending(v => v, StringComparer.Ordinal)]
                : [""];
    }
}
