using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;


namespace Arbor.Root.Preprocessing;

/// <summary>
/// A feature source that hands out values already validated and preprocessed by the registry's
/// pipelines (clip, log1p, bucketize, hash_to_id, default_fill...): the root puts it between the
/// store and the cache, so every value is preprocessed once, when the cache is filled, and requests
/// only copy what the cache holds.
/// </summary>
/// <remarks>
/// A stored value of the wrong type (data older than the registry) is treated as absent, as if the
/// store had none, and counted in <see cref="StoredTypeMismatches"/>. Features the registry does not
/// know pass unchanged.
/// </remarks>
public sealed class PreprocessedFeatureSource(IFeatureSource store, FeaturePreprocessor preprocessor) : IFeatureSource
{
    private long _mismatches;

    public FeaturePreprocessor Preprocessor => preprocessor;

    /// <summary>Stored values whose type did not match the registry, served as absent.</summary>
    public long StoredTypeMismatches => Interlocked.Read(ref _mismatches);

    public async ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
    {
        var table = await store.ReadAsync(entity, ids, features, cancellationToken).ConfigureAwait(false);
        return Preprocess(table);
    }

    /// <summary>The table with every value preprocessed, in a new row array per row (the input is not changed).</summary>
    public FeatureTable Preprocess(FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = table.ColumnCount;
        var pipelines = new FeaturePipeline?[columns];
        for (var c = 0; c < columns; c++)
        {
            pipelines[c] = preprocessor.TryGetPipeline(table.Features[c], out var pipeline) ? pipeline : null;
        }

        var rows = new TypedValue[]?[table.RowCount];
        var mismatches = 0;
        for (var r = 0; r < rows.Length; r++)
        {
            var values = new TypedValue[columns];
            var any = false;
            for (var c = 0; c < columns; c++)
            {
                var raw = table[r, c];
                if (pipelines[c] is not { } pipeline)
                {
                    values[c] = raw;
                    any |= raw.HasValue;
                    continue;
                }

                if (raw.HasValue)
                {
                    try
                    {
                        raw = pipeline.ValidateInput(raw);
                    }
                    catch (FeatureValueException)
                    {
                        raw = default;
                        mismatches++;
                    }
                }

                values[c] = pipeline.Apply(raw);
                any |= values[c].HasValue;
            }

            rows[r] = any ? values : null;
        }

        if (mismatches > 0)
        {
            Interlocked.Add(ref _mismatches, mismatches);
        }

        return new FeatureTable(table.Ids, table.Features, rows, FeatureTable.IdentitySlots(columns));
    }
}
