using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Root.Scoring;
using Arbor.Root.Tests.Cache;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Arbor.Root.Tests.Scoring;

/// <summary>
/// The answer's writer puts exactly the bytes the generated <c>ScoreResponse</c> would write for the
/// same content: hand-picked edge cases, and random shapes from a fixed seed. The expected response is
/// built here from the request and the leaf's scores, not by the code under test.
/// </summary>
public sealed class ScoreAnswerTests : IDisposable
{
    private static readonly LimitsConfig ScoreOnce = new() { DuplicateCandidates = DistinctCandidates.ScoreOnce, MaxCandidates = 10_000 };

    private readonly TestMeterFactory _meters = new();
    private readonly RootMetrics _metrics;

    public ScoreAnswerTests() => _metrics = new RootMetrics(_meters);

    public void Dispose()
    {
        _metrics.Dispose();
        _meters.Dispose();
    }

    /// <summary>One model's content: a failed one has no outputs and no scores.</summary>
    private sealed record ModelSpec(string Model, string Version, int Code, string Message, bool Trimmed, string Partition, string[] Outputs, float[]? Scores);

    [Fact]
    public void OneModel_WritesTheGeneratedBytes()
    {
        var request = Request("r-1", "a", "b", "c");
        AssertWritesGenerated(request, [new ModelSpec("ctr", "v3", 0, "", false, "p0", ["p"], [0.5f, -1.25f, 3f])]);
    }

    [Fact]
    public void SeveralModels_SeveralOutputs_AndFailedModelsWithoutScores()
    {
        var request = Request("req", "x", "y");
        AssertWritesGenerated(request,
        [
            new ModelSpec("ctr", "v1", 0, "", true, "p0", ["click", "buy", "dwell"], [1, 2, 3, 4, 5, 6]),
            new ModelSpec("cvr", "v9", 4, "model cvr: the leaf did not answer in time", false, "p1", [], null),
            new ModelSpec("ltv", "", 14, "model ltv: no replica is ready", false, "", [], null),
            new ModelSpec("rank", "2026-01", 0, "", false, "p2", ["s"], [9, 8]),
        ]);
    }

    [Fact]
    public void DuplicateIds_AnswerEveryEntryFromTheirIdsRow()
    {
        var request = Request("dup", "a", "b", "a", "c", "b", "a");
        AssertWritesGenerated(request, [new ModelSpec("m", "v", 0, "", false, "p", ["o1", "o2"], [1, 2, 3, 4, 5, 6])]);
    }

    [Fact]
    public void EmptyRequestId_AndDefaultFields_AreLeftOutAsGenerated()
    {
        var request = Request("", "only");
        AssertWritesGenerated(request,
        [
            new ModelSpec("", "", 0, "", false, "", [""], [0f]),
            new ModelSpec("", "", 0, "", false, "", [], null),
        ]);
    }

    [Fact]
    public void SpecialScores_KeepTheirBits()
    {
        var request = Request("special", "a", "b", "c", "d", "e", "f", "g", "h");
        AssertWritesGenerated(request,
        [
            new ModelSpec("m", "v", 0, "", false, "p", ["s"],
                [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001))]),
        ]);
    }

    [Fact]
    public void NonAsciiAndLargeIds_AndNegativeStatusCodes()
    {
        var large = new string('z', 20_000);
        var request = Request("ид-запроса-✓", "候选-1", "émoji-🙂", large, "a\u0000b");
        AssertWritesGenerated(request,
        [
            new ModelSpec("模型", "版本", 0, "", true, "分区", ["スコア"], [1, 2, 3, 4]),
            new ModelSpec("neg", "v", -7, "négatif", false, "p", [], null),
            new ModelSpec("max", "v", int.MaxValue, new string('m', 200), false, "p", [], null),
        ]);
    }

    [Fact]
    public void ModelsOverDifferentCandidateLists_MeasureEachList()
    {
        var first = Request("r", "a", "bb");
        var second = Request("r", "ccc", "d", "eeeee");
        var (firstQuery, secondQuery) = (ScoreQuery.From(first), ScoreQuery.From(second));
        var ones = Scores(1, 2);
        var twos = Scores(3, 4, 5);
        var answer = new ScoreAnswer("r",
        [
            new ModelAnswer("m1", "v", 0, "", false, "p", ["s"], new ScoreTable(firstQuery, DistinctCandidates.Of(firstQuery, ScoreOnce, _metrics), ones, 1)),
            new ModelAnswer("m2", "v", 0, "", false, "p", ["s"], new ScoreTable(secondQuery, DistinctCandidates.Of(secondQuery, ScoreOnce, _metrics), twos, 1)),
            new ModelAnswer("m3", "v", 0, "", false, "p", ["s"], new ScoreTable(firstQuery, DistinctCandidates.Of(firstQuery, ScoreOnce, _metrics), ones, 1)),
        ]);
        var expected = new ScoreResponse { RequestId = "r" };
        expected.Results.Add(Result("m1", first, [0, 1], [1, 2]));
        expected.Results.Add(Result("m2", second, [0, 1, 2], [3, 4, 5]));
        expected.Results.Add(Result("m3", first, [0, 1], [1, 2]));

        Assert.Equal(expected.ToByteArray(), Written(answer));
        Assert.Equal(expected, answer.ToResponse());
        Assert.Equal(expected.ToByteArray(), Written(answer));

        static ModelResult Result(string model, ScoreRequest request, int[] rows, float[] scores)
        {
            var result = new ModelResult { Model = model, Version = "v", Partition = "p", Status = new Status() };
            result.Outputs.Add("s");
            for (var i = 0; i < rows.Length; i++)
            {
                result.Candidates.Add(new CandidateScores { Id = request.Candidates[i].Id, Scores = { scores[rows[i]] } });
            }

            return result;
        }
    }

    [Fact]
    public void ScoreTable_RefusesScoresThatAreNotWholeRows()
    {
        var request = ScoreQuery.From(Request("r", "a", "b"));
        var rows = DistinctCandidates.Of(request, ScoreOnce, _metrics);

        Assert.Throws<ArgumentException>(() => new ScoreTable(request, rows, Scores(1, 2, 3), 2));
        Assert.Throws<ArgumentException>(() => new ScoreTable(request, rows, Scores(1), 0));
    }

    [Fact]
    public void RandomShapes_WriteTheGeneratedBytes()
    {
        var random = new Random(20261204);
        string[] alphabet = ["a", "b", "7", "-", "é", "ß", "中", "🙂", "\u00a0", "_"];
        for (var shape = 0; shape < 300; shape++)
        {
            string Text(int max)
            {
                var length = random.Next(max + 1);
                var text = new System.Text.StringBuilder();
                for (var i = 0; i < length; i++)
                {
                    text.Append(alphabet[random.Next(alphabet.Length)]);
                }

                return text.ToString();
            }

            // A pool smaller than the request repeats ids; ids are never empty (the scorer refuses those).
            var pool = Enumerable.Range(0, 1 + random.Next(40)).Select(i => Text(12) + i).ToArray();
            if (random.Next(10) == 0)
            {
                pool[0] = new string('L', 130 + random.Next(20_000));
            }

            var ids = Enumerable.Range(0, 1 + random.Next(random.Next(5) == 0 ? 600 : 30)).Select(_ => pool[random.Next(pool.Length)]).ToArray();
            var request = Request(random.Next(4) == 0 ? "" : Text(30), ids);
            var rows = ids.Distinct().Count();
            var models = new ModelSpec[random.Next(6)];
            for (var m = 0; m < models.Length; m++)
            {
                if (random.Next(4) == 0)
                {
                    int[] codes = [1, 4, 8, 13, 14, -1, int.MinValue, 300];
                    models[m] = new ModelSpec(Text(10), Text(5), codes[random.Next(codes.Length)], Text(60), random.Next(2) == 0, Text(4), [], null);
                    continue;
                }

                var outputs = Enumerable.Range(0, 1 + random.Next(4)).Select(_ => Text(6)).ToArray();
                var scores = new float[rows * outputs.Length];
                for (var i = 0; i < scores.Length; i++)
                {
                    scores[i] = random.Next(20) switch
                    {
                        0 => 0f,
                        1 => float.NaN,
                        2 => float.NegativeInfinity,
                        3 => float.PositiveInfinity,
                        4 => -0f,
                        5 => BitConverter.Int32BitsToSingle(random.Next() | (random.Next(2) << 31)),
                        _ => (float)((random.NextDouble() * 2) - 1) * MathF.Pow(10, random.Next(-5, 6)),
                    };
                }

                models[m] = new ModelSpec(Text(10), Text(5), 0, random.Next(5) == 0 ? Text(20) : "", random.Next(2) == 0, Text(4), outputs, scores);
            }

            AssertWritesGenerated(request, models);
        }
    }

    private void AssertWritesGenerated(ScoreRequest request, ModelSpec[] specs)
    {
        var query = ScoreQuery.From(request);
        var rows = DistinctCandidates.Of(query, ScoreOnce, _metrics);
        var answer = new ScoreAnswer(request.RequestId, [.. specs.Select(spec => new ModelAnswer(
            spec.Model, spec.Version, spec.Code, spec.Message, spec.Trimmed, spec.Partition, Outputs(spec.Outputs),
            spec.Scores is null ? null : new ScoreTable(query, rows, Scores(spec.Scores), spec.Outputs.Length)))]);
        var expected = Expected(request, specs);

        var written = Written(answer);

        Assert.Equal(expected.CalculateSize(), answer.CalculateSize());
        Assert.Equal(expected.ToByteArray(), written);
        // The measure's arrays went back to the pool after the write: a second write measures again.
        Assert.Equal(written, Written(answer));
        Assert.Equal(expected, ScoreResponse.Parser.ParseFrom(written));
        Assert.Equal(expected, answer.ToResponse());
    }

    /// <summary>The generated response for the specs: each requested entry answered with the scores of its id's first entry.</summary>
    private static ScoreResponse Expected(ScoreRequest request, ModelSpec[] specs)
    {
        var rowOfId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var candidate in request.Candidates)
        {
            rowOfId.TryAdd(candidate.Id, rowOfId.Count);
        }

        var response = new ScoreResponse { RequestId = request.RequestId };
        foreach (var spec in specs)
        {
            var result = new ModelResult
            {
                Model = spec.Model,
                Version = spec.Version,
                Status = new Status { Code = spec.Code, Message = spec.Message },
                Trimmed = spec.Trimmed,
                Partition = spec.Partition,
            };
            result.Outputs.Add(spec.Outputs);
            if (spec.Scores is { } scores)
            {
                var outputs = spec.Outputs.Length;
                foreach (var candidate in request.Candidates)
                {
                    var entry = new CandidateScores { Id = candidate.Id };
                    entry.Scores.Add(scores.AsSpan(rowOfId[candidate.Id] * outputs, outputs).ToArray());
                    result.Candidates.Add(entry);
                }
            }

            response.Results.Add(result);
        }

        return response;
    }

    private static byte[] Written(ScoreAnswer answer)
    {
        // Starts small so that the writer asks the buffer for more space as it goes.
        var buffer = new ArrayBufferWriter<byte>(1);
        answer.WriteTo(buffer);
        Assert.Equal(answer.CalculateSize(), buffer.WrittenCount);
        return buffer.WrittenSpan.ToArray();
    }

    private static ScoreRequest Request(string requestId, params string[] ids)
    {
        var request = new ScoreRequest { RequestId = requestId };
        foreach (var id in ids)
        {
            request.Candidates.Add(new Candidate { Id = id });
        }

        return request;
    }

    private static RepeatedField<float> Scores(params float[] scores) => [.. scores];

    private static RepeatedField<string> Outputs(string[] outputs) => [.. outputs];
}
