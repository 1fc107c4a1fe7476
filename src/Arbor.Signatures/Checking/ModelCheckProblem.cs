namespace Arbor.Signatures.Checking;

/// <summary>One problem a model check found with a model version.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Kind">What is wrong.</param>
/// <param name="Message">What is wrong, in words.</param>
/// <param name="Input">The signature input concerned, when the problem has one.</param>
/// <param name="Feature">The feature concerned, when the problem has one.</param>
public sealed record ModelCheckProblem(
    string Model, string Version, ModelCheckProblemKind Kind, string Message, string? Input = null, string? Feature = null)
{
    /// <summary>The kind as written in reports (<c>input_width</c>...).</summary>
    public string KindName => Kind switch
    {
        ModelCheckProblemKind.Unloadable => "unloadable",
        ModelCheckProblemKind.MissingFeature => "missing_feature",
        ModelCheckProblemKind.TypeMismatch => "type_mismatch",
        ModelCheckProblemKind.DimMismatch => "dim_mismatch",
        ModelCheckProblemKind.InputWidth => "input_width",
        ModelCheckProblemKind.IdRange => "id_range",
        ModelCheckProblemKind.ForwardFailed => "forward_failed",
        ModelCheckProblemKind.OutputCount => "output_count",
        ModelCheckProblemKind.OutputRows => "output_rows",
        ModelCheckProblemKind.OutputType => "output_type",
        _ => "non_finite_scores",
    };

    /// <summary>Where the problem is: <c>input 'dense', feature 'f'</c>, or empty.</summary>
    public string Subject => (Input, Feature) switch
    {
        ({ } input, { } feature) => $"input '{input}', feature '{feature}'",
        ({ } input, null) => $"input '{input}'",
        (null, { } feature) => $"feature '{feature}'",
        _ => string.Empty,
    };

    /// <summary>The problem without its model and version: <c>input 'dense': forward takes...</c>.</summary>
    public string Detail => Subject.Length == 0 ? Message : $"{Subject}: {Message}";

    public override string ToString() => $"{Model}/{Version}: {Detail}";
}
