using Arbor.Contracts.V1;
using Arbor.Root.Scoring;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;

namespace Arbor.Benchmarks;

/// <summary>
/// Root CPU and allocation of reading a score request of the reference shape (300 candidates with
/// ids only, a surface, a user and one context feature) off the wire: the generated
/// <c>ScoreRequest</c> parser (an object, a map, a dictionary and a list per candidate) against a
/// <see cref="ScoreQuery"/> (an id per candidate).
/// </summary>
[MemoryDiagnoser]
public class ScoreQueryBenchmarks
{
    private const int Candidates = 300;

    private byte[] _bytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261204);
        var request = new ScoreRequest { Surface = "homefeed", UserId = "user-000042", RequestId = "bench-request-0001" };
        request.Context["hour_of_day"] = new FeatureValue { FloatValue = 13 };
        for (var i = 0; i < Candidates; i++)
        {
            request.Candidates.Add(new Candidate { Id = $"item-{random.Next(1_000_000):D7}-{i}" });
        }

        _bytes = request.ToByteArray();
    }

    [Benchmark(Baseline = true)]
    public int GeneratedRequest() => ScoreRequest.Parser.ParseFrom(_bytes).Candidates.Count;

    [Benchmark]
    public int Query() => ScoreQuery.Parse(_bytes).Count;
}
