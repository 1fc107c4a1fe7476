using Arbor.Contracts.V1;
using Arbor.Features.Batches;
using Arbor.Root.Preprocessing;
using Arbor.Root.Store;
using Google.Protobuf.Collections;

namespace Arbor.Root.Batching;

/// <summary>
/// Turns one score request into the columnar <see cref="FeatureBatch"/> every leaf request is cut
/// from: reads the planned features of the user and the candidates through the shared cache (one
/// batch read per entity kind), lets client-provided candidate features win over stored ones,
/// applies the registry's preprocessing once, and lays the values out in columns.
/// </summary>
public sealed class RequestBatchAssembler(IFeatureSource features)
{
    /// <summary>Builds the batch; throws <see cref="FeatureValueException"/> for malformed client features.</summary>
    public async ValueTask<FeatureBatch> AssembleAsync(ScoreRequest request, FeaturePlan plan, FeaturePreprocessor preprocessor, CancellationToken cancellationToken)
    {
        var candidateIds = new string[request.Candidates.Count];
        for (var i = 0; i < candidateIds.Length; i++)
        {
            candidateIds[i] = request.Candidates[i].Id;
        }

        var userRead = plan.UserFeatures.Count == 0 || string.IsNullOrEmpty(request.UserId)
            ? ValueTask.FromResult<FeatureTable?>(null)
            : ReadNullable(EntityKind.User, [request.UserId], plan.UserFeatures, cancellationToken);
        var candidateTable = plan.CandidateFeatures.Count == 0
            ? null
            : await features.ReadAsync(EntityKind.Candidate, candidateIds, plan.CandidateFeatures, cancellationToken);
        var userTable = await userRead;

        var overrides = CollectOverrides(request.Candidates);
        var batch = new FeatureBatch(candidateIds.Length, plan.CandidateFeatures.Count + overrides.Count);
        var rowValues = new TypedValue[candidateIds.Length];

        // Per-row columns: stored candidate features, with client-provided values winning.
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var c = 0; c < plan.CandidateFeatures.Count; c++)
        {
            var name = plan.CandidateFeatures.Names[c];
            names.Add(name);
            for (var row = 0; row < rowValues.Length; row++)
            {
                rowValues[row] = candidateTable![row, c];
            }

            AddColumn(batch, name, rowValues, request.Candidates, overrides.Contains(name), preprocessor, fallback: default);
        }

        // Client-provided features that were not fetched (including user features given per candidate,
        // which then travel per row: rows without a client value take the user's value).
        foreach (var name in overrides)
        {
            if (names.Add(name))
            {
                var fallback = userTable is null ? default : userTable.Get(0, name);
                Array.Clear(rowValues);
                AddColumn(batch, name, rowValues, request.Candidates, hasOverrides: true, preprocessor, fallback);
            }
        }

        // Shared columns: the user's features and the request's context, once per request.
        if (userTable is not null)
        {
            for (var c = 0; c < userTable.ColumnCount; c++)
            {
                var name = userTable.Features[c];
                if (!names.Contains(name))
                {
                    AddShared(batch, name, userTable[0, c], preprocessor);
                    names.Add(name);
                }
            }
        }

        foreach (var (name, value) in request.Context)
        {
            if ((plan.ContextFeatures is null || plan.ContextFeatures.Contains(name)) && names.Add(name))
            {
                AddShared(batch, name, TypedValue.FromProto(value), preprocessor);
            }
        }

        return batch;
    }

    private async ValueTask<FeatureTable?> ReadNullable(EntityKind entity, string[] ids, FeatureProjection projection, CancellationToken cancellationToken) =>
        await features.ReadAsync(entity, ids, projection, cancellationToken);

    private static HashSet<string> CollectOverrides(RepeatedField<Candidate> candidates)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            foreach (var name in candidate.Features.Keys)
            {
                names.Add(name);
            }
        }

        return names;
    }

    private static void AddColumn(
        FeatureBatch batch,
        string name,
        TypedValue[] rowValues,
        RepeatedField<Candidate> candidates,
        bool hasOverrides,
        FeaturePreprocessor preprocessor,
        TypedValue fallback)
    {
        preprocessor.TryGetPipeline(name, out var pipeline);
        for (var row = 0; row < rowValues.Length; row++)
        {
            var raw = rowValues[row];
            if (hasOverrides && candidates[row].Features.TryGetValue(name, out var provided))
            {
                raw = TypedValue.FromProto(provided);
            }
            else if (!raw.HasValue)
            {
                raw = fallback;
            }

            rowValues[row] = pipeline is null ? raw : pipeline.Apply(pipeline.ValidateInput(raw));
        }

        if (ColumnBuilder.Build(name, rowValues, pipeline?.OutputKind ?? TypedValueKind.None) is { } column)
        {
            batch.Add(column);
        }
    }

    private static void AddShared(FeatureBatch batch, string name, TypedValue raw, FeaturePreprocessor preprocessor)
    {
        var value = preprocessor.TryGetPipeline(name, out var pipeline) ? pipeline.Apply(pipeline.ValidateInput(raw)) : raw;
        ReadOnlySpan<TypedValue> one = [value];
        if (ColumnBuilder.Build(name, one, pipeline?.OutputKind ?? TypedValueKind.None) is { } column)
        {
            batch.AddShared(column);
        }
    }
}
