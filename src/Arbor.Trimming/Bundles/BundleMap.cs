using System.Collections.Frozen;
using Arbor.Features.Selection;
using Arbor.Signatures.Bundles;
using Arbor.Trimming.Snapshots;

namespace Arbor.Trimming.Bundles;

/// <summary>
/// One bundle's independent map model → version → allowlist, built from one successfully parsed file.
/// Immutable: the consolidated snapshot reuses its <see cref="ModelAllowlists"/> as they are.
/// </summary>
public sealed class BundleMap
{
    private BundleMap(BundleDocument document, string contentHash, DateTimeOffset loadedAt, FrozenDictionary<string, ModelAllowlists> models)
    {
        Document = document;
        ContentHash = contentHash;
        LoadedAt = loadedAt;
        Models = models;
    }

    /// <summary>The bundle's name (from the file).</summary>
    public string Bundle => Document.Bundle;

    /// <summary>The parsed file.</summary>
    public BundleDocument Document { get; }

    /// <summary>SHA-256 (lower-case hex) of the file's bytes.</summary>
    public string ContentHash { get; }

    /// <summary>When the map was loaded.</summary>
    public DateTimeOffset LoadedAt { get; }

    public FrozenDictionary<string, ModelAllowlists> Models { get; }

    /// <summary>Builds the map of a parsed, validated bundle document.</summary>
    public static BundleMap FromDocument(BundleDocument document, string contentHash, DateTimeOffset loadedAt)
    {
        ArgumentNullException.ThrowIfNull(document);
        var models = new Dictionary<string, ModelAllowlists>(document.Models.Count, StringComparer.Ordinal);
        foreach (var (model, entry) in document.Models)
        {
            var versions = new Dictionary<string, ColumnAllowlist>(entry.Versions.Count, StringComparer.Ordinal);
            foreach (var (version, allowlist) in entry.Versions)
            {
                versions[version] = new ColumnAllowlist(allowlist.Features);
            }

            models[model] = new ModelAllowlists(model, document.Bundle, entry.Latest, versions.ToFrozenDictionary(StringComparer.Ordinal));
        }

        return new BundleMap(document, contentHash, loadedAt, models.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
