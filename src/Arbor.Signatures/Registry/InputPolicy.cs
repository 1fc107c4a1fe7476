namespace Arbor.Signatures.Registry;

/// <summary>
/// The registry-wide policy for values clients send with a score request (<c>input_policy</c> at the
/// top of the registry); each feature may override the first three (<see cref="FeatureInputPolicy"/>).
/// The defaults refuse what a model could not have been trained on and drop names the registry does
/// not know (a retired feature must not break the clients that still send it).
/// </summary>
/// <param name="NonFinite">A NaN or an infinity in a float or a float vector.</param>
/// <param name="OutOfType">A value of another kind than the feature's raw type (an int64 for a float, a list for a scalar, a float vector of another dim).</param>
/// <param name="NoKind">A <c>FeatureValue</c> with none of its kinds set.</param>
/// <param name="UnknownFeature">A feature name the registry does not define.</param>
public sealed record InputPolicy(
    ClientValueAction NonFinite = ClientValueAction.Reject,
    ClientValueAction OutOfType = ClientValueAction.Reject,
    ClientValueAction NoKind = ClientValueAction.Reject,
    UnknownFeatureAction UnknownFeature = UnknownFeatureAction.Drop)
{
    /// <summary>The policy of a registry that names none.</summary>
    public static InputPolicy Default { get; } = new();

    /// <summary>This policy with a feature's overrides applied.</summary>
    public InputPolicy With(FeatureInputPolicy? feature) => feature is null
        ? this
        : this with
        {
            NonFinite = feature.NonFinite ?? NonFinite,
            OutOfType = feature.OutOfType ?? OutOfType,
            NoKind = feature.NoKind ?? NoKind,
        };
}
