using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Signatures.Registry;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// What the root does for one set of model allowlists, worked out once and reused by every request
/// with the same models under the same trimmer snapshot: the features to read per entity kind (one
/// projection each, resolved to cache slots once), the request-level features to take from the
/// client, per column the registry pipeline (the client values' validation and transforms) and
/// the type its column is built as, and per entity kind the columns' names and index by name (which
/// every request's frames share).
/// </summary>
/// <remarks>
/// Stored values reach the request already preprocessed (at cache fill, see
/// <see cref="PreprocessedFeatureSource"/>); only client-supplied values are validated and
/// transformed per request (<see cref="ClientFeatures"/>). Immutable.
/// </remarks>
public sealed class FetchPlan
{
    private FetchPlan(FeatureProjection needed, PlannedColumn[] user, PlannedColumn[] candidate, PlannedColumn[] context)
    {
        Needed = needed;
        UserColumns = user;
        CandidateColumns = candidate;
        ContextColumns = context;
        User = FeatureProjection.Of(user.Select(c => c.Name));
        Candidate = FeatureProjection.Of(candidate.Select(c => c.Name));
        UserFrame = new FrameColumns(user);
        CandidateFrame = new FrameColumns(candidate);
        ContextFrame = new FrameColumns(context);
    }

    /// <summary>The union of the models' allowlists, or <see cref="FeatureProjection.All"/> when a model goes untrimmed.</summary>
    public FeatureProjection Needed { get; }

    /// <summary>The user features read from the cache (one row per request).</summary>
    public FeatureProjection User { get; }

    /// <summary>The candidate features read from the cache, and registry-unknown names (clients may send them).</summary>
    public FeatureProjection Candidate { get; }

    /// <summary>The user features in <see cref="User"/> order.</summary>
    public IReadOnlyList<PlannedColumn> UserColumns { get; }

    /// <summary>The candidate features in <see cref="Candidate"/> order.</summary>
    public IReadOnlyList<PlannedColumn> CandidateColumns { get; }

    /// <summary>The request-level features the client may send.</summary>
    public IReadOnlyList<PlannedColumn> ContextColumns { get; }

    /// <summary><see cref="UserColumns"/> with their names and index, for every request's user frame.</summary>
    internal FrameColumns UserFrame { get; }

    /// <summary><see cref="CandidateColumns"/> with their names and index, for every request's candidate frame.</summary>
    internal FrameColumns CandidateFrame { get; }

    /// <summary><see cref="ContextColumns"/> with their names and index, for every request's context frame.</summary>
    internal FrameColumns ContextFrame { get; }

    /// <summary>
    /// Plans <paramref name="needed"/>: names are split by their registry entity (names the registry
    /// does not know are candidate features); <see cref="FeatureProjection.All"/> means every registry feature.
    /// </summary>
    public static FetchPlan Create(FeatureProjection needed, FeaturePreprocessor preprocessor)
    {
        ArgumentNullException.ThrowIfNull(needed);
        ArgumentNullException.ThrowIfNull(preprocessor);
        List<PlannedColumn> user = [], candidate = [], context = [];
        var names = needed.IsAll
            ? preprocessor.UserFeatures.Concat(preprocessor.CandidateFeatures).Concat(preprocessor.ContextFeatures)
            : needed.Names;
        foreach (var name in names)
        {
            var column = PlannedColumn.Of(name, preprocessor);
            (column.Pipeline?.Definition.Entity switch
            {
                FeatureEntity.User => user,
                FeatureEntity.Context => context,
                _ => candidate,
            }).Add(column);
        }

        return new FetchPlan(needed, [.. user], [.. candidate], [.. context]);
    }
}

/// <summary>One feature of a plan: its name, its registry pipeline (null when unregistered) and the type its column holds.</summary>
/// <param name="Name">The feature.</param>
/// <param name="Pipeline">The registry's preprocessing of the feature; null when unregistered.</param>
/// <param name="Missing">What a row without a value gets: the pipeline's answer to no value (a default_fill), or none.</param>
public readonly record struct PlannedColumn(string Name, FeaturePipeline? Pipeline, TypedValue Missing)
{
    /// <summary>The registered output type; None when the feature is not registered (the values' own type decides).</summary>
    public FeatureType OutputKind => Pipeline?.OutputKind ?? TypedValue.NoKind;

    public static PlannedColumn Of(string name, FeaturePreprocessor preprocessor) =>
        preprocessor.TryGetPipeline(name, out var pipeline)
            ? new(name, pipeline, pipeline.Missing)
            : new(name, null, TypedValue.None);

    /// <summary>A preprocessed value, or <see cref="Missing"/> when there is none.</summary>
    public TypedValue OrMissing(TypedValue value) => value.HasValue ? value : Missing;
}
