using Arbor.Features.Values;


namespace Arbor.Root.Preprocessing;

/// <summary>Gives an absent value a fixed one; present values pass unchanged.</summary>
public sealed class DefaultFillTransform(TypedValue fill) : IValueTransform
{
    public TypedValue Fill { get; } = fill;

    public TypedValue Apply(TypedValue value) => value.HasValue ? value : Fill;
}
