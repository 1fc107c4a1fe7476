namespace Arbor.Signatures.Registry;

/// <summary>What a registry check found wrong with a feature a signature needs.</summary>
public enum RegistryFindingKind
{
    /// <summary>The registry has no feature of that name: the store will never serve it.</summary>
    MissingFeature,

    /// <summary>The feature's type cannot feed the input's kind (e.g. a string into a dense input).</summary>
    TypeMismatch,

    /// <summary>A float vector whose registry dim differs from the input's dim.</summary>
    DimMismatch,
}
