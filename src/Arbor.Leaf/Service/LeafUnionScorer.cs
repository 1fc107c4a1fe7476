using Arbor.Contracts.V1;
using Arbor.Leaf.Diagnostics;
using Google.Protobuf.Collections;

namespace Arbor.Leaf.Service;

/// <summary>
/// Serves one ScoreUnion call: several models of the partition on one batch whose columns are the
/// union of theirs. Each model gets the columns its entry names and goes through
/// <see cref="LeafScorer"/> as a Score call of its own (conversion, trim check, dynamic batching,
/// metrics), all at once; a model's failure is its result's status, never the call's.
/// </summary>
public sealed class LeafUnionScorer(LeafScorer scorer)
{
    /// <exception cref="LeafScoreException">INVALID_ARGUMENT when the call itself is malformed: no models, a model named twice, a column index out of range.</exception>
    public async Task<LeafUnionScoreResponse> ScoreAsync(LeafUnionScoreRequest request, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = LeafTracing.Source.StartActivity("leaf.score_union");
        activity?.SetTag("arbor.models", request.Models.Count);
        activity?.SetTag("arbor.rows", request.RowCount);
        Validate(request);

        var calls = new Task<LeafUnionResult>[request.Models.Count];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = ScoreModelAsync(ForModel(request, request.Models[i]), deadline, cancellationToken);
        }

        var response = new LeafUnionScoreResponse();
        response.Results.AddRange(await Task.WhenAll(calls).ConfigureAwait(false));
        return response;
    }

    /// <summary>The Score request one model of the union call stands for: the same column messages, not copies.</summary>
    internal static LeafScoreRequest ForModel(LeafUnionScoreRequest request, LeafUnionModel model)
    {
        var single = new LeafScoreRequest
        {
            Model = model.Model,
            Version = model.Version,
            RowCount = request.RowCount,
            RequestId = request.RequestId,
            TrimmedFor = model.TrimmedFor,
            Unbatched = request.Unbatched,
        };
        Select(request.Columns, model.Columns, single.Columns);
        Select(request.SharedColumns, model.SharedColumns, single.SharedColumns);
        return single;
    }

    private async Task<LeafUnionResult> ScoreModelAsync(LeafScoreRequest request, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        try
        {
            return new LeafUnionResult { Response = await scorer.ScoreAsync(request, deadline, cancellationToken).ConfigureAwait(false) };
        }
        catch (LeafScoreException e)
        {
            return new LeafUnionResult
            {
                Status = new Status { Code = (int)e.Status, Message = e.Message },
                Version = e.Version ?? string.Empty,
            };
        }
    }

    private static void Select(RepeatedField<FeatureColumn> columns, RepeatedField<uint> indexes, RepeatedField<FeatureColumn> into)
    {
        for (var i = 0; i < indexes.Count; i++)
        {
            into.Add(columns[(int)indexes[i]]);
        }
    }

    private static void Validate(LeafUnionScoreRequest request)
    {
        if (request.Models.Count == 0)
        {
            throw new LeafScoreException(LeafStatusCode.InvalidArgument, "the union call names no models");
        }

        var names = new HashSet<string>(request.Models.Count, StringComparer.Ordinal);
        foreach (var model in request.Models)
        {
            if (string.IsNullOrEmpty(model.Model))
            {
                throw new LeafScoreException(LeafStatusCode.InvalidArgument, "a model of the union call has no name");
            }

            if (!names.Add(model.Model))
            {
                throw new LeafScoreException(LeafStatusCode.InvalidArgument, $"model '{model.Model}' appears more than once in the union call");
            }

            CheckIndexes(model.Model, "columns", model.Columns, request.Columns.Count);
            CheckIndexes(model.Model, "shared_columns", model.SharedColumns, request.SharedColumns.Count);
        }
    }

    private static void CheckIndexes(string model, string field, RepeatedField<uint> indexes, int count)
    {
        foreach (var index in indexes)
        {
            if (index >= (uint)count)
            {
                throw new LeafScoreException(LeafStatusCode.InvalidArgument, $"model '{model}' names {field}[{index}]; the union call has {count}");
            }
        }
    }
}
