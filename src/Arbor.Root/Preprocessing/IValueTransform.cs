using Arbor.Features.Values;


namespace Arbor.Root.Preprocessing;

/// <summary>One compiled preprocessing step. Must not mutate the value it is given (cached values are shared).</summary>
public interface IValueTransform
{
    /// <summary>The transformed value; throws <see cref="FeatureValueException"/> for a value of a type the step cannot take.</summary>
    TypedValue Apply(TypedValue value);
}
