using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Diagnostics;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Registry;
using BenchmarkDotNet.Attributes;

namespace Arbor.Benchmarks;

/// <summary>
/// The client values of one request checked against the registry's input policy: 500 candidates
/// × 8 float values, all good, or with a quarter non-finite (replaced by the feature's default)
/// and two unknown names per candidate (dropped). The bad case must not allocate more than the good one.
/// </summary>
[MemoryDiagnoser]
public class ClientValueBenchmarks : IDisposable
{
    private const int Candidates = 500;
    private const int Features = 8;

    private readonly RootMetrics _metrics = new();
    private FeaturePreprocessor _preprocessor = null!;
    private FetchPlan _plan = null!;
    private IReadOnlyDictionary<string, FeatureValue>?[] _candidates = null!;

    [Params(false, true)]
    public bool Bad { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _preprocessor = new FeaturePreprocessor(new FeatureRegistry(
            FeatureRegistry.SchemaV1,
            [.. Enumerable.Range(0, Features).Select(i => new FeatureDefinition($"f{i}", FeatureType.Float, FeatureEntity.Candidate, Transforms: [new(TransformKind.DefaultFill, Fill: 0)]))],
            new InputPolicy(NonFinite: ClientValueAction.Default)));
        _plan = FetchPlan.Create(FeatureProjection.All, _preprocessor);
        _candidates = new IReadOnlyDictionary<string, FeatureValue>?[Candidates];
        for (var c = 0; c < Candidates; c++)
        {
            var candidate = new Candidate { Id = $"c{c}" };
            for (var f = 0; f < Features; f++)
            {
                candidate.Features[$"f{f}"] = new FeatureValue { FloatValue = Bad && f % 4 == 0 ? float.NaN : c + f };
            }

            if (Bad)
            {
                candidate.Features["retired_a"] = new FeatureValue { FloatValue = 1 };
                candidate.Features["retired_b"] = new FeatureValue { StringValue = "x" };
            }

            _candidates[c] = candidate.Features;
        }
    }

    [Benchmark]
    public int Validate() => ClientFeatures.Validate(_plan, _preprocessor, _candidates, null, _metrics).CandidateColumns.Count;

    public void Dispose()
    {
        _metrics.Dispose();
        GC.SuppressFinalize(this);
    }
}
