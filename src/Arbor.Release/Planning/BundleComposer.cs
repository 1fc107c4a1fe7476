using Arbor.Signatures.Bundles;

namespace Arbor.Release.Planning;

/// <summary>
/// Composes an environment's bundle for a release: the models the release touches are rewritten
/// from their signatures; every other model of the existing file is kept exactly as it was.
/// </summary>
public static class BundleComposer
{
    public static BundleDocument Compose(string bundle, BundleDocument? existing, IEnumerable<ComposedModel> models, DateTimeOffset generatedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(bundle);
        ArgumentNullException.ThrowIfNull(models);
        var result = new SortedDictionary<string, BundleModel>(StringComparer.Ordinal);
        if (existing is not null)
        {
            foreach (var (name, model) in existing.Models)
            {
                result[name] = model;
            }
        }

        foreach (var model in models)
        {
            if (model.Versions.Count == 0)
            {
                continue;
            }

            if (!model.Versions.Any(v => v.Version == model.Latest))
            {
                throw new ArgumentException($"latest {model.Latest} of {model.Model} is not one of its versions", nameof(models));
            }

            var versions = new SortedDictionary<string, BundleModelVersion>(ModelVersionComparer.Instance);
            foreach (var version in model.Versions)
            {
                IEnumerable<string> features = version.Features;
                if (version.Version == model.Latest)
                {
                    features = features.Concat(model.WidenLatestWith.SelectMany(w => w.Features));
                }

                versions[version.Version] = new BundleModelVersion(
                    features.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), version.Sha256);
            }

            result[model.Model] = new BundleModel(model.Latest, versions);
        }

        return new BundleDocument(BundleDocument.SchemaV1, bundle, generatedAt, result);
    }
}
