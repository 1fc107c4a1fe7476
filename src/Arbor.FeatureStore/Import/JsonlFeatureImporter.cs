using System.Text;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Import;

/// <summary>
/// Imports a JSONL feature file (see <see cref="JsonlFeatureLineParser"/> and docs/feature-store.md)
/// into a store in one transaction, written in batches: a bad line aborts the whole import with its
/// line number and leaves the store as it was.
/// </summary>
public static class JsonlFeatureImporter
{
    public const int DefaultBatchSize = 1000;

    /// <param name="store">The store to write to (initialised).</param>
    /// <param name="input">UTF-8 JSONL, one entity per line; blank lines are skipped.</param>
    /// <param name="sourceName">The name used in error messages (usually the file path).</param>
    /// <param name="schema">Types and owners of the features (the registry); null infers types from the JSON.</param>
    /// <param name="batchSize">Entities per write batch.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is committed).</param>
    public static async Task<FeatureImportResult> ImportAsync(
        IFeatureStore store,
        Stream input,
        string sourceName,
        IFeatureSchema? schema,
        int batchSize,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var parser = new JsonlFeatureLineParser(schema);
        using var reader = new StreamReader(input, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        await using var writer = await store.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var batch = new List<EntityFeatures>(batchSize);
        long lineNumber = 0, entities = 0, users = 0, candidates = 0, values = 0, deleted = 0;
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DecoderFallbackException ex)
            {
                throw new FeatureImportException(sourceName, lineNumber + 1, "not valid UTF-8", ex);
            }

            if (line is null)
            {
                break;
            }

            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            EntityFeatures entity;
            try
            {
                entity = parser.Parse(line);
            }
            catch (FormatException ex)
            {
                throw new FeatureImportException(sourceName, lineNumber, ex.Message, ex);
            }

            entities++;
            if (entity.Kind == EntityKind.User)
            {
                users++;
            }
            else
            {
                candidates++;
            }

            foreach (var (_, value) in entity.Features)
            {
                if (value.HasValue)
                {
                    values++;
                }
                else
                {
                    deleted++;
                }
            }

            batch.Add(entity);
            if (batch.Count == batchSize)
            {
                await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        await writer.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new FeatureImportResult(entities, users, candidates, values, deleted);
    }
}
