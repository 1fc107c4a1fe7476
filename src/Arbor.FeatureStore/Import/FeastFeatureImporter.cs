using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Import;

/// <summary>
/// Copies a Feast online store into a native store (<c>arbor store import --from feast</c>): every
/// entity of every configured view, read a page at a time (<see cref="FeastFeatureSource.ExportAsync"/>:
/// names, types and time to live as the source serves them), written through the store's writer in
/// one transaction, a page per batch. Values past their view's time to live are skipped; values and
/// keys that cannot be read are counted and named, and the import goes on, unless the store held
/// something and none of it could be read (then nothing is written).
/// </summary>
public static class FeastFeatureImporter
{
    public const int DefaultPageSize = 1000;

    /// <param name="source">The Feast source (not initialised: the export checks the layout).</param>
    /// <param name="store">The native store to write to (initialised).</param>
    /// <param name="pageSize">Entities per read and per write batch.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is committed).</param>
    public static async Task<FeastImportResult> ImportAsync(FeastFeatureSource source, IFeatureStore store, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        var views = new List<FeastViewImport>();
        var refused = new Dictionary<(string View, string? Feature, string Problem), FeastImportRefusal>();
        await using var writer = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var page in source.ExportAsync(pageSize, cancellationToken).ConfigureAwait(false))
        {
            if (views.Count == 0 || views[^1].View != page.View)
            {
                views.Add(new FeastViewImport(page.View, page.Kind, 0, 0, 0));
            }

            views[^1] = views[^1] with
            {
                Entities = views[^1].Entities + page.Entities.Count,
                Values = views[^1].Values + page.Values,
                Expired = views[^1].Expired + page.Expired,
            };
            foreach (var refusal in page.Refused)
            {
                var key = (refusal.View, refusal.Feature, refusal.Problem);
                refused[key] = refused.TryGetValue(key, out var seen)
                    ? seen with { Count = seen.Count + 1 }
                    : new FeastImportRefusal(refusal.View, refusal.Feature, refusal.Problem, 1, refusal.Entity);
            }

            if (page.Entities.Count > 0)
            {
                await writer.WriteAsync(page.Entities, cancellationToken).ConfigureAwait(false);
            }
        }

        var result = new FeastImportResult(views, [.. refused.Values]);
        if (result.Values == 0 && result.Refused.Count > 0)
        {
            throw new FeatureImportException($"nothing in the Feast store could be read ({result.RefusedValues} values and {result.RefusedKeys} entity keys refused, e.g. {Describe(result.Refused[0])}); nothing was written");
        }

        await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>One refusal for a person: <c>pin_stats:pin_age_days: corrupt (2, first candidate '1001')</c>.</summary>
    public static string Describe(FeastImportRefusal refusal) => refusal.Feature is null
        ? $"{refusal.View}: {refusal.Count} entity keys not of the configured join key and type (first {refusal.FirstEntity})"
        : $"{new FeastFeatureRef(refusal.View, refusal.Feature)}: {refusal.Problem} ({refusal.Count}, first entity '{refusal.FirstEntity}')";
}

/// <summary>What a Feast import read and wrote.</summary>
/// <param name="Views">Per view, in the order read.</param>
/// <param name="Refused">Per view, feature and problem, what could not be read.</param>
public sealed record FeastImportResult(IReadOnlyList<FeastViewImport> Views, IReadOnlyList<FeastImportRefusal> Refused)
{
    public long Entities => Views.Sum(v => v.Entities);

    public long Values => Views.Sum(v => v.Values);

    public long Expired => Views.Sum(v => v.Expired);

    public long RefusedValues => Refused.Where(r => r.Feature is not null).Sum(r => r.Count);

    public long RefusedKeys => Refused.Where(r => r.Feature is null).Sum(r => r.Count);
}

/// <summary>One view of a Feast import: its entities with values, the values written and those skipped as past the view's time to live.</summary>
public sealed record FeastViewImport(string View, EntityKind Kind, long Entities, long Values, long Expired);

/// <summary>Values (or, with no feature, entity keys) of a view that could not be read, with the first entity met.</summary>
public sealed record FeastImportRefusal(string View, string? Feature, string Problem, long Count, string FirstEntity);
