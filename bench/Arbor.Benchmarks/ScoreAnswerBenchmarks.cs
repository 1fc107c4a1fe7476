using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Root.Scoring;
using Arbor.Rpc.Marshalling;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Grpc.Core;

namespace Arbor.Benchmarks;

/// <summary>
/// Root CPU and allocation of answering a score request of the reference shape (300 candidates,
/// 3 models, one output each) into the send buffer: the generated <c>ScoreResponse</c> built from
/// the leaves' answers and serialized, against a <see cref="ScoreAnswer"/> writing the same bytes.
/// </summary>
[MemoryDiagnoser]
public class ScoreAnswerBenchmarks
{
    private const int Candidates = 300;
    private const int Models = 3;

    private static readonly Action<ScoreAnswer, SerializationContext> AnswerSerializer = PayloadMarshaller.Create<ScoreAnswer>().ContextualSerializer;
    private static readonly Action<ScoreResponse, SerializationContext> ResponseSerializer = ProtobufMarshaller.Create(ScoreResponse.Parser).ContextualSerializer;

    private readonly SendBufferContext _sendBuffer = new();
    private ScoreRequest _request = null!;
    private ScoreQuery _query = null!;
    private DistinctCandidates _rows;
    private LeafScoreResponse[] _leaves = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261204);
        _request = new ScoreRequest { RequestId = "bench-request-0001" };
        for (var i = 0; i < Candidates; i++)
        {
            _request.Candidates.Add(new Candidate { Id = $"item-{random.Next(1_000_000):D7}-{i}" });
        }

        using var metrics = new RootMetrics();
        _query = ScoreQuery.From(_request);
        _rows = DistinctCandidates.Of(_query, new LimitsConfig(), metrics);
        _leaves = new LeafScoreResponse[Models];
        for (var m = 0; m < Models; m++)
        {
            var leaf = _leaves[m] = new LeafScoreResponse { Model = $"model_{m}", Version = "2026-12-01", RowCount = Candidates };
            leaf.Outputs.Add("p");
            for (var i = 0; i < Candidates; i++)
            {
                leaf.Scores.Add((float)random.NextDouble());
            }
        }
    }

    [Benchmark(Baseline = true)]
    public int GeneratedResponse()
    {
        var response = new ScoreResponse { RequestId = _request.RequestId };
        foreach (var leaf in _leaves)
        {
            var result = new ModelResult { Model = leaf.Model, Version = leaf.Version, Partition = "p0", Status = new Arbor.Contracts.V1.Status() };
            result.Outputs.Add(leaf.Outputs);
            result.Candidates.Capacity = Candidates;
            for (var entry = 0; entry < Candidates; entry++)
            {
                var scores = new CandidateScores { Id = _request.Candidates[entry].Id };
                scores.Scores.Capacity = 1;
                scores.Scores.Add(leaf.Scores[_rows.RowOf(entry)]);
                result.Candidates.Add(scores);
            }

            response.Results.Add(result);
        }

        ResponseSerializer(response, _sendBuffer);
        return _sendBuffer.FrameLength;
    }

    [Benchmark]
    public int Answer()
    {
        var models = new ModelAnswer[_leaves.Length];
        for (var m = 0; m < models.Length; m++)
        {
            var leaf = _leaves[m];
            models[m] = new ModelAnswer(leaf.Model, leaf.Version, 0, "", false, "p0", leaf.Outputs, new ScoreTable(_query, _rows, leaf.Scores, 1));
        }

        AnswerSerializer(new ScoreAnswer(_request.RequestId, models), _sendBuffer);
        return _sendBuffer.FrameLength;
    }
}
