using Arbor.Features.Values;
using Arbor.Signatures.Registry;

namespace Arbor.FeatureStore.Sources;

/// <summary>
/// What features are and take (the root's feature registry): each feature's owner and raw type,
/// the type before preprocessing. A JSONL import types and checks values by it; a Feast source
/// checks at start-up that what a Feast store holds fits it.
/// </summary>
public interface IFeatureSchema
{
    /// <summary>The owner and raw type of <paramref name="feature"/>; false when it is not registered.</summary>
    bool TryGetFeature(string feature, out FeatureEntity owner, out FeatureType kind);

    /// <summary>
    /// Checks a value of a registered feature and returns it, widened where the schema allows;
    /// throws <see cref="FormatException"/> naming the feature otherwise.
    /// </summary>
    TypedValue Validate(string feature, TypedValue value);
}
