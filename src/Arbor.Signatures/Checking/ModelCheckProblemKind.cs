namespace Arbor.Signatures.Checking;

/// <summary>What a model check found wrong with a model version (docs/model-signature.md).</summary>
public enum ModelCheckProblemKind
{
    /// <summary>The archive cannot be loaded, has no valid signature, or its signature names another model or version.</summary>
    Unloadable,

    /// <summary>A signature feature the feature registry does not define: the store never serves it.</summary>
    MissingFeature,

    /// <summary>A registry feature whose type the input cannot take.</summary>
    TypeMismatch,

    /// <summary>A vector input whose dim differs from its registry feature's.</summary>
    DimMismatch,

    /// <summary>forward takes another width for a dense or vector input than the signature gives it.</summary>
    InputWidth,

    /// <summary>forward fails on the ids of an id_list input taken from its feature's registry range (an embedding table smaller than the range).</summary>
    IdRange,

    /// <summary>forward fails on inputs built from the signature, and no single input explains it.</summary>
    ForwardFailed,

    /// <summary>forward returns another number of score columns than the signature has outputs.</summary>
    OutputCount,

    /// <summary>forward returns another number of rows than the batch has.</summary>
    OutputRows,

    /// <summary>forward returns something other than a float32 tensor [B, outputs].</summary>
    OutputType,

    /// <summary>forward returns NaN or infinite scores.</summary>
    NonFiniteScores,
}
