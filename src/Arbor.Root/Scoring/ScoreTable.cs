using Arbor.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Arbor.Root.Scoring;

/// <summary>
/// One model's scores as a response answers them: per requested candidate, in request order, the
/// scores of the row scored for it. Nothing is copied: the table refers to the request's candidates,
/// the rows of <see cref="DistinctCandidates"/> (a repeated id answers from its first entry's row) and
/// the leaf's score list (rows × outputs, row-major).
/// </summary>
public sealed class ScoreTable
{
    private readonly DistinctCandidates _rows;

    /// <param name="candidates">The request, whose candidates (in request order) the entries answer with their ids.</param>
    /// <param name="rows">The row of the leaf's answer that scores each requested entry.</param>
    /// <param name="scores">The leaf's scores: <paramref name="outputs"/> per row.</param>
    /// <param name="outputs">Scores per row.</param>
    public ScoreTable(ScoreQuery candidates, DistinctCandidates rows, RepeatedField<float> scores, int outputs)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentOutOfRangeException.ThrowIfNegative(outputs);
        if (outputs == 0 ? scores.Count != 0 : scores.Count % outputs != 0)
        {
            throw new ArgumentException($"{scores.Count} scores are not whole rows of {outputs} outputs", nameof(scores));
        }

        Candidates = candidates;
        _rows = rows;
        Scores = scores;
        Outputs = outputs;
    }

    /// <summary>The request: its candidates are the entries, one each.</summary>
    public ScoreQuery Candidates { get; }

    /// <summary>The leaf's scores, <see cref="Outputs"/> per row.</summary>
    public RepeatedField<float> Scores { get; }

    /// <summary>Scores per row.</summary>
    public int Outputs { get; }

    /// <summary>The requested entries (one <c>CandidateScores</c> each).</summary>
    public int Count => Candidates.Count;

    /// <summary>The row of <see cref="Scores"/> that answers requested entry <paramref name="entry"/>.</summary>
    public int RowOf(int entry) => _rows.RowOf(entry);

    /// <summary>The size of one entry's <c>scores</c> field (packed floats; absent when there are no outputs).</summary>
    internal int ScoresFieldSize => Outputs == 0 ? 0 : 1 + CodedOutputStream.ComputeLengthSize(Outputs * sizeof(float)) + (Outputs * sizeof(float));

    /// <summary>The size of each entry's <c>id</c> field, written into <paramref name="idFieldSizes"/>.</summary>
    internal void MeasureIds(Span<int> idFieldSizes)
    {
        for (var entry = 0; entry < Candidates.Count; entry++)
        {
            var id = Candidates.IdOf(entry);
            idFieldSizes[entry] = id.Length == 0 ? 0 : 1 + CodedOutputStream.ComputeStringSize(id);
        }
    }

    /// <summary>The size of the <c>candidates</c> fields of a <c>ModelResult</c> holding this table.</summary>
    internal int CandidatesFieldsSize(ReadOnlySpan<int> idFieldSizes)
    {
        var scoresField = ScoresFieldSize;
        var size = 0;
        for (var entry = 0; entry < idFieldSizes.Length; entry++)
        {
            var entrySize = idFieldSizes[entry] + scoresField;
            size += 1 + CodedOutputStream.ComputeLengthSize(entrySize) + entrySize;
        }

        return size;
    }

    /// <summary>Writes the <c>candidates</c> fields (4) of a <c>ModelResult</c>, as the generated <c>CandidateScores</c> would.</summary>
    internal void WriteCandidates(ref WriteContext output, ReadOnlySpan<int> idFieldSizes)
    {
        var scoresField = ScoresFieldSize;
        var outputs = Outputs;
        var scores = Scores;
        for (var entry = 0; entry < idFieldSizes.Length; entry++)
        {
            output.WriteRawTag(34);
            output.WriteLength(idFieldSizes[entry] + scoresField);
            var id = Candidates.IdOf(entry);
            if (id.Length != 0)
            {
                output.WriteRawTag(10);
                output.WriteString(id);
            }

            if (outputs != 0)
            {
                output.WriteRawTag(18);
                output.WriteLength(outputs * sizeof(float));
                var first = RowOf(entry) * outputs;
                for (var o = 0; o < outputs; o++)
                {
                    output.WriteFloat(scores[first + o]);
                }
            }
        }
    }

    /// <summary>The generated <c>CandidateScores</c> of every entry (the JSON endpoint and tests).</summary>
    internal void AddTo(RepeatedField<CandidateScores> candidates)
    {
        candidates.Capacity = Count;
        for (var entry = 0; entry < Count; entry++)
        {
            var entryScores = new CandidateScores { Id = Candidates.IdOf(entry) };
            entryScores.Scores.Capacity = Outputs;
            var first = RowOf(entry) * Outputs;
            for (var o = 0; o < Outputs; o++)
            {
                entryScores.Scores.Add(Scores[first + o]);
            }

            candidates.Add(entryScores);
        }
    }
}
