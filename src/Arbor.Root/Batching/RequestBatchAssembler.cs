using Arbor.Contracts.V1;
using Arbor.Features.Batches;
using Arbor.Root.Diagnostics;
using Arbor.Root.Preprocessing;
using Arbor.Root.Store;

namespace Arbor.Root.Batching;

/// <summary>
/// Turns one score request into the columnar <see cref="FeatureBatch"/> every leaf request is cut
/// from: the <see cref="RequestFeatureLoader"/> reads the needed features of the user and the
/// candidates through the shared cache and preprocesses them once; candidate features become per-row
/// columns, user and context features one-row shared columns sent once per request.
/// </summary>
/// <remarks>
/// A client may send, with a candidate, a value for any feature, including a user or context one:
/// that feature then travels per row, each candidate without its own value taking the shared one.
/// </remarks>
public sealed class RequestBatchAssembler(RequestFeatureLoader loader)
{
    /// <summary>Builds the batch; throws <see cref="FeatureValueException"/> for malformed client features.</summary>
    public async ValueTask<FeatureBatch> AssembleAsync(ScoreRequest request, FeatureProjection needed, CancellationToken cancellationToken)
    {
        var rows = request.Candidates.Count;
        var ids = new string[rows];
        IReadOnlyDictionary<string, FeatureValue>?[]? overrides = null;
        for (var i = 0; i < rows; i++)
        {
            var candidate = request.Candidates[i];
            ids[i] = candidate.Id;
            if (candidate.Features.Count > 0)
            {
                overrides ??= new IReadOnlyDictionary<string, FeatureValue>?[rows];
                overrides[i] = candidate.Features;
            }
        }

        RequestFeatures features;
        using (RootTracing.Source.StartActivity("root.fetch"))
        {
            features = await loader.LoadAsync(new RequestFeatureQuery(request.UserId, ids, needed, overrides, request.Context), cancellationToken);
        }

        using var preprocessing = RootTracing.Source.StartActivity("root.preprocess");
        var preprocessor = loader.Preprocessor;
        var candidates = features.Candidates;
        var batch = new FeatureBatch(rows, candidates.Names.Count);
        var perRow = new HashSet<string>(candidates.Names, StringComparer.Ordinal);
        for (var c = 0; c < candidates.Names.Count; c++)
        {
            var name = candidates.Names[c];
            if (ColumnBuilder.Build(name, candidates.Column(c), OutputKind(preprocessor, name)) is { } column)
            {
                batch.Add(column);
            }
        }

        if (overrides is not null)
        {
            AddClientOnlyColumns(batch, overrides, features, preprocessor, perRow);
        }

        AddShared(batch, features.User, preprocessor, perRow);
        AddShared(batch, features.Context, preprocessor, perRow);
        return batch;
    }

    private static TypedValueKind OutputKind(FeaturePreprocessor preprocessor, string name) =>
        preprocessor.TryGetPipeline(name, out var pipeline) ? pipeline.OutputKind : TypedValueKind.None;

    /// <summary>Per-row columns for client-sent features the loader did not place per row.</summary>
    private static void AddClientOnlyColumns(
        FeatureBatch batch,
        IReadOnlyDictionary<string, FeatureValue>?[] overrides,
        RequestFeatures features,
        FeaturePreprocessor preprocessor,
        HashSet<string> perRow)
    {
        var names = new List<string>();
        foreach (var sent in overrides)
        {
            foreach (var name in sent?.Keys ?? [])
            {
                if (perRow.Add(name))
                {
                    names.Add(name);
                }
            }
        }

        if (names.Count == 0)
        {
            return;
        }

        var values = new TypedValue[overrides.Length];
        foreach (var name in names)
        {
            preprocessor.TryGetPipeline(name, out var pipeline);
            var shared = SharedValue(features, name);
            for (var row = 0; row < values.Length; row++)
            {
                if (overrides[row] is { } sent && sent.TryGetValue(name, out var value))
                {
                    values[row] = Preprocess(pipeline, name, TypedValue.FromProto(value), row);
                }
                else
                {
                    values[row] = shared;
                }
            }

            if (ColumnBuilder.Build(name, values, pipeline?.OutputKind ?? TypedValueKind.None) is { } column)
            {
                batch.Add(column);
            }
        }
    }

    private static TypedValue SharedValue(RequestFeatures features, string name)
    {
        var index = features.User.IndexOf(name);
        if (index >= 0)
        {
            return features.User[0, index];
        }

        index = features.Context.IndexOf(name);
        return index >= 0 ? features.Context[0, index] : default;
    }

    private static TypedValue Preprocess(FeaturePipeline? pipeline, string name, TypedValue raw, int row)
    {
        if (pipeline is null)
        {
            return raw;
        }

        try
        {
            return pipeline.Apply(pipeline.ValidateInput(raw));
        }
        catch (FeatureValueException e)
        {
            throw new FeatureValueException($"candidate {row}: {e.Message} ({name})", e);
        }
    }

    private static void AddShared(FeatureBatch batch, FeatureFrame frame, FeaturePreprocessor preprocessor, HashSet<string> perRow)
    {
        for (var c = 0; c < frame.Names.Count; c++)
        {
            var name = frame.Names[c];
            if (!perRow.Contains(name) && ColumnBuilder.Build(name, frame.Column(c), OutputKind(preprocessor, name)) is { } column)
            {
                batch.AddShared(column);
            }
        }
    }
}
