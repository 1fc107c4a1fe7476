using System.Buffers;
using Arbor.Features.Batches;
using Arbor.Features.Values;
using Arbor.Root.Diagnostics;
using Arbor.Root.Preprocessing;
using Arbor.Root.Scoring;

namespace Arbor.Root.Batching;

/// <summary>
/// Turns one score request into the columnar <see cref="FeatureBatch"/> every leaf request is cut
/// from: the <see cref="RequestFeatureLoader"/> reads the plan's features of the user and the
/// candidates through the shared cache (values preprocessed at cache fill) and the client's values
/// (validated and preprocessed once); candidate features become per-row columns, user and context
/// features one-row shared columns sent once per request. Values are read in place into the columns.
/// </summary>
/// <remarks>
/// A client may send, with a candidate, a value for any feature, including a user or context one:
/// that feature then travels per row, each candidate without its own value taking the shared one.
/// </remarks>
public sealed class RequestBatchAssembler(RequestFeatureLoader loader)
{
    // Never added to: read only, shared by every request without client candidate features.
    private static readonly List<ClientColumn> NoClientColumns = [];

    /// <summary>Makes the request's candidate ids strings against the feature cache the batches are read from (<see cref="ScoreQuery.ResolveIds"/>).</summary>
    public void ResolveIds(ScoreQuery request) => loader.ResolveIds(request);

    /// <summary>Builds the batch (dispose it once encoded: its columns use pooled buffers); throws <see cref="FeatureValueException"/> for malformed client features.</summary>
    /// <param name="request">The request (each candidate a row).</param>
    /// <param name="plan">What to read and how.</param>
    /// <param name="cancellationToken">The request's token.</param>
    /// <param name="entries">Per row, the index of the client's candidate entry it stands for (errors name it); null: the row's own.</param>
    public async ValueTask<FeatureBatch> AssembleAsync(ScoreQuery request, FetchPlan plan, CancellationToken cancellationToken, IReadOnlyList<int>? entries = null)
    {
        var rows = request.Count;
        RequestFeatures features;
        using (RootTracing.Source.StartActivity("root.fetch"))
        {
            features = await loader.LoadAsync(new RequestFeatureQuery(request.UserId, request.Ids, plan, request.CandidateFeatures, request.Context, entries) { CandidateSlots = request.Slots }, cancellationToken);
        }

        using var preprocessing = RootTracing.Source.StartActivity("root.preprocess");
        var candidates = features.Candidates;
        var batch = new FeatureBatch(rows, candidates.Names.Count);
        try
        {
            Fill(batch, features);
            return batch;
        }
        catch
        {
            batch.Dispose();
            throw;
        }
        finally
        {
            // The columns hold copies of the values: the row arrays the cache lent go back.
            features.User.ReturnTable();
            candidates.ReturnTable();
        }
    }

    private void Fill(FeatureBatch batch, RequestFeatures features)
    {
        var candidates = features.Candidates;
        // Float, int64, vector and list columns are built together, row by row; strings and bytes one at a time, in order.
        var columns = candidates.Names.Count;
        var built = ArrayPool<BatchColumn?>.Shared.Rent(columns);
        var isBuilt = ArrayPool<bool>.Shared.Rent(columns);
        try
        {
            if (!RowColumns.TryBuild(batch, candidates, built, isBuilt))
            {
                Array.Clear(isBuilt, 0, columns);
            }

            for (var c = 0; c < columns; c++)
            {
                if ((isBuilt[c] ? built[c] : ColumnBuilder.Build(batch, candidates.Names[c], new FrameColumn(candidates, c), candidates.Planned(c).OutputKind)) is { } column)
                {
                    batch.Add(column);
                }
            }
        }
        finally
        {
            Array.Clear(built, 0, columns);
            ArrayPool<BatchColumn?>.Shared.Return(built);
            ArrayPool<bool>.Shared.Return(isBuilt);
        }

        var clientOnly = ClientOnlyColumns(features);
        foreach (var client in clientOnly)
        {
            var kind = loader.Preprocessor.TryGetPipeline(client.Name, out var pipeline) ? pipeline.OutputKind : TypedValue.NoKind;
            if (ColumnBuilder.Build(batch, client.Name, new ClientOnlyColumn(client, SharedValue(features, client.Name)), kind) is { } column)
            {
                batch.Add(column);
            }
        }

        AddShared(batch, features.User, clientOnly);
        AddShared(batch, features.Context, clientOnly);
    }

    /// <summary>Client-sent candidate features the plan does not read per row, in order of first appearance.</summary>
    private static List<ClientColumn> ClientOnlyColumns(RequestFeatures features)
    {
        // Most requests send no candidate features: they share one empty list.
        if (features.Client.CandidateColumns.Count == 0)
        {
            return NoClientColumns;
        }

        var columns = new List<ClientColumn>();
        foreach (var client in features.Client.CandidateColumns)
        {
            if (features.Plan.Candidate.IndexOf(client.Name) < 0)
            {
                columns.Add(client);
            }
        }

        return columns;
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

    private static bool Contains(List<ClientColumn> columns, string name)
    {
        foreach (var column in columns)
        {
            if (string.Equals(column.Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void AddShared(FeatureBatch batch, FeatureFrame frame, List<ClientColumn> perRow)
    {
        for (var c = 0; c < frame.Names.Count; c++)
        {
            var name = frame.Names[c];
            if (!Contains(perRow, name)
                && ColumnBuilder.Build(batch, name, new FrameColumn(frame, c), frame.Planned(c).OutputKind) is { } column)
            {
                batch.AddShared(column);
            }
        }
    }
}
