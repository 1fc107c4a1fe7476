using Arbor.FeatureStore.Values;
using Arbor.Signatures.Registry;

namespace Arbor.FeatureStore.Import;

/// <summary>
/// What an import types and checks values by (the root's feature registry): each feature's owner
/// and raw type, the type before preprocessing.
/// </summary>
public interface IFeatureImportSchema
{
    /// <summary>The owner and raw type of <paramref name="feature"/>; false when it is not registered.</summary>
    bool TryGetFeature(string feature, out FeatureEntity owner, out TypedValueKind kind);

    /// <summary>
    /// Checks a parsed value of a registered feature and returns it, widened where the schema allows;
    /// throws <see cref="FormatException"/> naming the feature otherwise.
    /// </summary>
    TypedValue Validate(string feature, TypedValue value);
}
