using System.Runtime.CompilerServices;
using Arbor.Root.Store;
using Arbor.Signatures.Registry;
using ProtoFeatureValue = Arbor.Contracts.V1.FeatureValue;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// What the root calls once per request before fan-out: fetches the needed user and candidate
/// features (one batch read each, through the cache), lets client-provided candidate features win
/// over stored ones, and runs the registry's preprocessing once, so every model sees the same values.
/// </summary>
/// <remarks>
/// Needed features are split by their registry entity; names the registry does not know are
/// treated as candidate features (read from the store, or sent by the client). A client value of
/// the wrong type throws <see cref="FeatureValueException"/> (the root answers INVALID_ARGUMENT); a
/// stored value of the wrong type (data older than the registry) is treated as absent and counted.
/// </remarks>
public sealed class RequestFeatureLoader(IFeatureSource source, FeaturePreprocessor preprocessor)
{
    private readonly ConditionalWeakTable<FeatureProjection, SplitProjection> _splits = new();

    public FeaturePreprocessor Preprocessor => preprocessor;

    public async Task<RequestFeatures> LoadAsync(RequestFeatureQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.CandidateOverrides is { } overrides && overrides.Count != query.CandidateIds.Count)
        {
            throw new ArgumentException("Candidate overrides must have one entry per candidate.", nameof(query));
        }

        var split = _splits.GetValue(query.Needed, Split);
        var userIds = string.IsNullOrEmpty(query.UserId) ? [] : new[] { query.UserId };
        var userRead = split.User.Count == 0 || userIds.Length == 0
            ? ValueTask.FromResult<FeatureTable?>(null)
            : ReadAsync(EntityKind.User, userIds, split.User, cancellationToken);
        var candidateRead = split.Candidate.Count == 0 || query.CandidateIds.Count == 0
            ? ValueTask.FromResult<FeatureTable?>(null)
            : ReadAsync(EntityKind.Candidate, query.CandidateIds, split.Candidate, cancellationToken);
        FeatureTable? userTable;
        try
        {
            userTable = await userRead.ConfigureAwait(false);
        }
        catch
        {
            // The request fails with the first error; the other read still ends (at the latest when
            // the request's token fires) and its error must not go unobserved.
            Observe(candidateRead);
            throw;
        }

        var candidateTable = await candidateRead.ConfigureAwait(false);

        var mismatches = 0;
        var user = BuildFrame(split.User.Names, 1, userTable, null, ref mismatches);
        var candidates = BuildFrame(split.Candidate.Names, query.CandidateIds.Count, candidateTable, query.CandidateOverrides, ref mismatches);
        var context = BuildContext(split.Context, query.Context);
        return new RequestFeatures(user, candidates, context, mismatches);
    }

    private static void Observe(ValueTask<FeatureTable?> read) =>
        _ = read.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async ValueTask<FeatureTable?> ReadAsync(EntityKind kind, IReadOnlyList<string> ids, FeatureProjection projection, CancellationToken cancellationToken) =>
        await source.ReadAsync(kind, ids, projection, cancellationToken).ConfigureAwait(false);

    private FeatureFrame BuildFrame(
        IReadOnlyList<string> names, int rows, FeatureTable? table, IReadOnlyList<IReadOnlyDictionary<string, ProtoFeatureValue>?>? overrides, ref int mismatches)
    {
        var values = new TypedValue[names.Count * rows];
        for (var column = 0; column < names.Count; column++)
        {
            var name = names[column];
            preprocessor.TryGetPipeline(name, out var pipeline);
            var offset = column * rows;
            for (var row = 0; row < rows; row++)
            {
                TypedValue raw;
                if (overrides?[row] is { Count: > 0 } sent && sent.TryGetValue(name, out var client))
                {
                    raw = ValidateClient(pipeline, name, client, row);
                }
                else
                {
                    raw = table is null ? default : table[row, column];
                    if (pipeline is not null && raw.HasValue && !IsValidStored(pipeline, ref raw))
                    {
                        mismatches++;
                    }
                }

                values[offset + row] = pipeline is null ? raw : pipeline.Apply(raw);
            }
        }

        return new FeatureFrame(names, rows, values);
    }

    private FeatureFrame BuildContext(IReadOnlyList<string> names, IReadOnlyDictionary<string, ProtoFeatureValue>? sent)
    {
        var values = new TypedValue[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            preprocessor.TryGetPipeline(names[i], out var pipeline);
            var raw = sent is not null && sent.TryGetValue(names[i], out var client)
                ? ValidateClient(pipeline, names[i], client, row: -1)
                : default;
            values[i] = pipeline is null ? raw : pipeline.Apply(raw);
        }

        return new FeatureFrame(names, 1, values);
    }

    /// <param name="row">The candidate the value came with; -1 for the request context.</param>
    private static TypedValue ValidateClient(FeaturePipeline? pipeline, string name, ProtoFeatureValue client, int row)
    {
        var value = TypedValue.FromProto(client);
        try
        {
            return pipeline is null ? value : pipeline.ValidateInput(value);
        }
        catch (FeatureValueException ex)
        {
            var where = row < 0 ? "context" : "candidate " + row.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new FeatureValueException($"{where}: {ex.Message}", ex);
        }
    }

    private static bool IsValidStored(FeaturePipeline pipeline, ref TypedValue raw)
    {
        try
        {
            raw = pipeline.ValidateInput(raw);
            return true;
        }
        catch (FeatureValueException)
        {
            raw = default;
            return false;
        }
    }

    private SplitProjection Split(FeatureProjection needed)
    {
        if (needed.IsAll)
        {
            return new SplitProjection(
                FeatureProjection.Of(preprocessor.UserFeatures),
                FeatureProjection.Of(preprocessor.CandidateFeatures),
                preprocessor.ContextFeatures);
        }

        List<string> user = [], candidate = [], context = [];
        foreach (var name in needed.Names)
        {
            var entity = preprocessor.TryGetPipeline(name, out var pipeline) ? pipeline.Definition.Entity : FeatureEntity.Candidate;
            (entity switch
            {
                FeatureEntity.User => user,
                FeatureEntity.Context => context,
                _ => candidate,
            }).Add(name);
        }

        return new SplitProjection(FeatureProjection.Of(user), FeatureProjection.Of(candidate), context);
    }

    private sealed record SplitProjection(FeatureProjection User, FeatureProjection Candidate, IReadOnlyList<string> Context);
}
