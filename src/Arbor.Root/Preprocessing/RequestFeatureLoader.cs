using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Root.Diagnostics;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// What the root calls once per request before fan-out: validates and preprocesses what the client
/// sent (<see cref="ClientFeatures"/>, the one place client values are checked), then reads the
/// plan's user and candidate features (one batch read each, through the cache) and hands back views
/// in which client-provided candidate features win over stored ones.
/// </summary>
/// <remarks>
/// <paramref name="source"/> serves preprocessed values: in the root, the cache over a
/// <see cref="PreprocessedFeatureSource"/>, so stored values are preprocessed once, at cache fill,
/// not per request. A client value the registry's input policy refuses throws <see cref="FeatureValueException"/> (the
/// root answers INVALID_ARGUMENT).
/// </remarks>
/// <param name="source">Where preprocessed features are read from.</param>
/// <param name="preprocessor">The registry's pipelines and input policy, for client values.</param>
/// <param name="metrics">Where the outcomes of client values are counted.</param>
public sealed class RequestFeatureLoader(IFeatureSource source, FeaturePreprocessor preprocessor, RootMetrics? metrics = null)
{
    public FeaturePreprocessor Preprocessor => preprocessor;

    public async Task<RequestFeatures> LoadAsync(RequestFeatureQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.CandidateOverrides is { } overrides && overrides.Count != query.CandidateIds.Count)
        {
            throw new ArgumentException("Candidate overrides must have one entry per candidate.", nameof(query));
        }

        var plan = query.Plan;
        var client = ClientFeatures.Validate(plan, preprocessor, query.CandidateOverrides, query.Context, metrics, query.CandidateEntries);
        var userIds = string.IsNullOrEmpty(query.UserId) ? [] : new[] { query.UserId };
        var userRead = plan.User.Count == 0 || userIds.Length == 0
            ? ValueTask.FromResult<FeatureTable?>(null)
            : ReadAsync(EntityKind.User, userIds, plan.User, cancellationToken);
        var candidateRead = plan.Candidate.Count == 0 || query.CandidateIds.Count == 0
            ? ValueTask.FromResult<FeatureTable?>(null)
            : ReadAsync(EntityKind.Candidate, query.CandidateIds, plan.Candidate, cancellationToken, query.CandidateSlots);
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
        ClientColumn?[]? sentPerRow = null;
        if (client.CandidateColumns.Count > 0)
        {
            for (var c = 0; c < plan.CandidateColumns.Count; c++)
            {
                if (client.CandidateColumn(plan.CandidateColumns[c].Name) is { } sent)
                {
                    (sentPerRow ??= new ClientColumn?[plan.CandidateColumns.Count])[c] = sent;
                }
            }
        }

        return new RequestFeatures(
            plan,
            new FeatureFrame(plan.UserFrame, 1, userTable, null),
            new FeatureFrame(plan.CandidateFrame, query.CandidateIds.Count, candidateTable, sentPerRow),
            new FeatureFrame(plan.ContextFrame, 1, null, client.Context),
            client);
    }

    private static void Observe(ValueTask<FeatureTable?> read) =>
        _ = read.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async ValueTask<FeatureTable?> ReadAsync(EntityKind kind, IReadOnlyList<string> ids, FeatureProjection projection, CancellationToken cancellationToken, CacheSlots? slots = null) =>
        slots is not null && ReferenceEquals(slots.Cache, source)
            ? await slots.Cache.ReadAsync(kind, ids, projection, slots.Slots, cancellationToken).ConfigureAwait(false)
            : await source.ReadAsync(kind, ids, projection, cancellationToken).ConfigureAwait(false);

    /// <summary>Makes <paramref name="request"/>'s ids strings against the cache this loader reads (its own strings for the ids it holds).</summary>
    internal void ResolveIds(Scoring.ScoreQuery request) => request.ResolveIds(source as FeatureCache);
}
