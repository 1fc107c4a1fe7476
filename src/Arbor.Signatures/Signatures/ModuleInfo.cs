namespace Arbor.Signatures.Signatures;

/// <summary>
/// The signature of one model version (<c>module_info.json</c>, schema <c>arbor.module_info/v1</c>):
/// the single source of truth for what the model consumes and produces.
/// </summary>
public sealed record ModuleInfo(
    string Schema,
    string Model,
    string Version,
    IReadOnlyList<ModelInput> Inputs,
    IReadOnlyList<ModelOutput> Outputs)
{
    public const string SchemaV1 = "arbor.module_info/v1";

    /// <summary>The feature names over all inputs, in input order: the model version's allowlist.</summary>
    public IEnumerable<string> Features => Inputs.SelectMany(input => input.Features);
}

/// <summary>One tensor input of a model, assembled from one or more features.</summary>
/// <param name="Name">The input's name (the forward argument it becomes, in order).</param>
/// <param name="Kind">How features become a tensor.</param>
/// <param name="DType">The tensor element type.</param>
/// <param name="Features">The features in column order.</param>
/// <param name="Dim">For <see cref="InputKind.Vector"/>: the vector length.</param>
/// <param name="MaxLength">For <see cref="InputKind.IdList"/>: the longest list kept (longer lists are truncated).</param>
/// <param name="Default">The value used for an absent dense feature (vectors: all elements).</param>
public sealed record ModelInput(
    string Name,
    InputKind Kind,
    TensorDType DType,
    IReadOnlyList<string> Features,
    int? Dim = null,
    int? MaxLength = null,
    double Default = 0.0);

/// <summary>One model output (a score column).</summary>
public sealed record ModelOutput(string Name);

public enum InputKind
{
    /// <summary>Scalar features, one column each: tensor [B, features].</summary>
    Dense,

    /// <summary>One float-vector feature of length Dim: tensor [B, Dim].</summary>
    Vector,

    /// <summary>One int64-list feature: values [N] + offsets [B] (EmbeddingBag layout).</summary>
    IdList,
}

public enum TensorDType
{
    Float32,
    Int64,
}
