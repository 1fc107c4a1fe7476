namespace Arbor.Signatures.Registry;

/// <summary>One feature's overrides of the registry's <see cref="InputPolicy"/> (null: the registry's).</summary>
/// <param name="NonFinite">A NaN or an infinity sent for the feature.</param>
/// <param name="OutOfType">A value of another kind than the feature's raw type.</param>
/// <param name="NoKind">A value with no kind set.</param>
public sealed record FeatureInputPolicy(
    ClientValueAction? NonFinite = null,
    ClientValueAction? OutOfType = null,
    ClientValueAction? NoKind = null);
